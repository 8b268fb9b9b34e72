
namespace Crik.Cli.Control;

/// <summary>
/// One <c>crik checkpoint</c> waiting for the supervisor: whether the app stops after the commit,
/// and where its one-line answer goes ("committed ..." or "error ...").
/// </summary>
internal sealed class ControlRequest(bool exitAfter)
{
    private readonly TaskCompletionSource<string> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool ExitAfter => exitAfter;

    public Task<string> Answer => _answer.Task;

    /// <summary>Done once the answer is written to the asker (or could not be), so crik may exit after it.</summary>
    public Task Delivered => _delivered.Task;

    public void MarkDelivered() => _delivered.TrySetResult();

    public void Committed(long generation, string size, TimeSpan duration) =>
        _answer.TrySetResult(FormattableString.Invariant($"committed {generation} {duration.TotalSeconds:0.00} {size}"));

    public void Refused(string why) => _answer.TrySetResult($"error {why}");
}

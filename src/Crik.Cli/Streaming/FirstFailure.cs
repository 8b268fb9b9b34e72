namespace Crik.Cli.Streaming;

/// <summary>The first failure of a run that takes images, recorded from any thread.</summary>
internal class FirstFailure : IRunFailure
{
    private string? _failure;

    public virtual string? Failure => Volatile.Read(ref _failure);

    public void Fail(string why) => Interlocked.CompareExchange(ref _failure, why, null);
}

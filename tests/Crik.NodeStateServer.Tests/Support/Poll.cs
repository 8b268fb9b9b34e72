namespace Crik.NodeStateServer.Tests.Support;

/// <summary>Waits for a condition with a deadline instead of sleeping a fixed time.</summary>
internal static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            if (await condition())
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting for {what}{(diagnostics is null ? "" : "\n" + diagnostics())}");
            await Task.Delay(25);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? diagnostics = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout, diagnostics);
}

using Xunit;

namespace Crik.TestSupport;

/// <summary>Waits for a condition with a timeout instead of sleeping a fixed time.</summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Polls until <paramref name="probe"/> gives a value; fails the test with <paramref name="what"/> on timeout.</summary>
    public static T Until<T>(Func<T?> probe, string what, TimeSpan? timeout = null) where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            if (probe() is { } value)
            {
                return value;
            }
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }
            Thread.Sleep(10);
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds.</summary>
    public static void Until(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Until(() => condition() ? "" : null, what, timeout);

    /// <summary>Polls an asynchronous condition; fails the test on timeout, with <paramref name="diagnostics"/> when given.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}{(diagnostics is null ? "" : "\n" + diagnostics())}");
            }
            await Task.Delay(25);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? diagnostics = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout, diagnostics);
}

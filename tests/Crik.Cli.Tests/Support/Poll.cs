using Xunit;

namespace Crik.Cli.Tests.Support;

/// <summary>Waits for a condition with a timeout instead of sleeping a fixed time.</summary>
internal static class Poll
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
}

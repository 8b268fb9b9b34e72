namespace Crik.Cli.Interop;

/// <summary>
/// CLOCK_MONOTONIC in nanoseconds, the clock another process's moments can be told on (criu-patches/0013 logs where CRIU's
/// log starts on it): crik's own intervals use <see cref="System.Diagnostics.Stopwatch"/>, whose clock .NET does not promise.
/// </summary>
internal static class MonotonicClock
{
    public static long Now()
    {
        // CLOCK_MONOTONIC is always there and the pointer is crik's own: the call cannot fail.
        _ = Libc.ClockGetTime(Libc.CLOCK_MONOTONIC, out Libc.Timespec now);
        return now.Seconds * 1_000_000_000 + now.Nanoseconds;
    }

    public static TimeSpan Between(long from, long to) => TimeSpan.FromTicks((to - from) / 100);
}

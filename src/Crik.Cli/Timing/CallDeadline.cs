using System.Diagnostics;

namespace Crik.Cli.Timing;

/// <summary>
/// How long the call running on this thread may still take, set around it by whoever bounds it (ImageStore's
/// DeadlineBackend) and read by whatever can cut its own waiting short (an S3 request's attempt): the way a Go context's
/// deadline reaches the request below without a parameter on every call in between.
/// </summary>
internal static class CallDeadline
{
    [ThreadStatic]
    private static long BoundUntil;

    [ThreadStatic]
    private static CancellationToken CutBy;

    /// <summary>What cuts the call on this thread, whatever its time left: set by whoever knows when it must not go on (a lease's holder).</summary>
    public static CancellationToken Cut => CutBy;

    /// <summary>Until disposed, the calls on this thread are cut as soon as <paramref name="cut"/> is cancelled.</summary>
    public static CutScope CutWhen(CancellationToken cut)
    {
        CancellationToken previous = CutBy;
        CutBy = cut;
        return new CutScope(previous);
    }

    /// <summary>Until disposed, the calls on this thread may take no longer than <paramref name="limit"/> (nor than any bound set around it).</summary>
    public static Scope Within(TimeSpan limit)
    {
        long previous = BoundUntil;
        long until = limit == TimeSpan.MaxValue ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        BoundUntil = previous != 0 && previous < until ? previous : until;
        return new Scope(previous);
    }

    /// <summary>The time left for the call on this thread; <see cref="Timeout.InfiniteTimeSpan"/> when none is bounding it.</summary>
    public static TimeSpan Left => BoundUntil is 0 or long.MaxValue ? Timeout.InfiniteTimeSpan : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), BoundUntil);

    /// <summary>Puts back the bound that was set before.</summary>
    public readonly struct Scope(long previous) : IDisposable
    {
        public void Dispose() => BoundUntil = previous;
    }

    /// <summary>Puts back what cut the calls before.</summary>
    public readonly struct CutScope(CancellationToken previous) : IDisposable
    {
        public void Dispose() => CutBy = previous;
    }
}

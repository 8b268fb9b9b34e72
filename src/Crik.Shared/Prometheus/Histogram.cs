namespace Crik.Shared.Prometheus;

/// <summary>A histogram with fixed upper bounds; observations and snapshots may come from any thread.</summary>
internal sealed class Histogram(IReadOnlyList<double> upperBounds)
{
    /// <summary>Seconds, from a lazy restore's tenth of a second to a large checkpoint's five minutes.</summary>
    public static readonly IReadOnlyList<double> DurationBounds = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly long[] _counts = new long[upperBounds.Count];
    private readonly Lock _lock = new();
    private long _count;
    private double _sum;

    public void Observe(double value)
    {
        lock (_lock)
        {
            for (var i = 0; i < upperBounds.Count; i++)
            {
                if (value <= upperBounds[i])
                    _counts[i]++;
            }
            _count++;
            _sum += value;
        }
    }

    public HistogramSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new HistogramSnapshot(upperBounds, (long[])_counts.Clone(), _count, _sum);
        }
    }
}

/// <summary>Counts per upper bound are cumulative (each includes the smaller bounds), as the text format wants them.</summary>
internal sealed record HistogramSnapshot(IReadOnlyList<double> UpperBounds, IReadOnlyList<long> CumulativeCounts, long Count, double Sum);

using System.Collections.Concurrent;
using Crik.Shared.Prometheus;

namespace Crik.Cli.Observing;

/// <summary>The checkpoints' figures behind /metrics: how many, why and what they came to, how long, how big, when last.</summary>
/// <param name="checkpointInterval">The configured checkpointInterval; null when periodic checkpoints are off.</param>
internal sealed class CheckpointMetrics(TimeSpan? checkpointInterval)
{
    /// <summary>Seconds the app is held frozen, from a small app's ten milliseconds to a large one's minute.</summary>
    public static readonly IReadOnlyList<double> FrozenBounds = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Why a checkpoint is taken and what it came to, each counted from 0 so that an alert's increase() sees the first one.</summary>
    private static readonly string[] Reasons = ["sigterm", "periodic", "at_risk", "on_demand"];
    private static readonly string[] Outcomes = ["committed", "failed", "skipped"];

    private readonly ConcurrentDictionary<(string Reason, string Outcome), Histogram> _durations = new();
    private readonly ConcurrentDictionary<(string Reason, string Outcome), long> _counts = new(
        Reasons.SelectMany(r => Outcomes.Select(o => KeyValuePair.Create((r, o), 0L))));
    private readonly Histogram _frozen = new(FrozenBounds);
    private long _setAside;
    private long _stretched;
    private long _lastWritten;
    private double _lastAppWrote = double.NaN;
    private long _lastSize;
    private double _lastCommittedAt;

    public void On(Happening happening)
    {
        switch (happening)
        {
            case Happening.CheckpointCommitted c:
                Ran(c.Reason, "committed").Observe(c.Took.TotalSeconds);
                _frozen.Observe(c.Frozen.TotalSeconds);
                Volatile.Write(ref _lastWritten, c.WrittenBytes);
                Volatile.Write(ref _lastAppWrote, c.AppWroteBytes ?? double.NaN);
                Volatile.Write(ref _lastSize, c.SizeBytes);
                Volatile.Write(ref _lastCommittedAt, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
                break;
            case Happening.CheckpointFailed f:
                Ran(f.Reason, "failed").Observe(f.Took.TotalSeconds);
                break;
            case Happening.CheckpointSkipped s:
                // Not timed: a checkpoint that never started has no duration to skew the others' with.
                Count(s.Reason, "skipped");
                break;
            case Happening.CheckpointSetAside:
                Interlocked.Increment(ref _setAside);
                break;
            case Happening.PeriodicCheckpointStretched:
                Interlocked.Increment(ref _stretched);
                break;
        }
    }

    public void Render(PrometheusText text)
    {
        text.Family("crik_checkpoints_total", "counter", "Checkpoints by why they were taken and what they came to: committed, failed, or skipped (not started).");
        foreach (var ((reason, outcome), count) in _counts.OrderBy(c => c.Key))
            text.Sample("crik_checkpoints_total", PrometheusText.Labels(("reason", reason), ("outcome", outcome)), count);
        text.Family("crik_checkpoint_duration_seconds", "histogram", "Checkpoints that ran, by why they were taken and what they came to (committed or failed), from start to commit.");
        foreach (var ((reason, outcome), histogram) in _durations.OrderBy(h => h.Key))
            text.Histogram("crik_checkpoint_duration_seconds", PrometheusText.Labels(("reason", reason), ("outcome", outcome)), histogram.Snapshot());
        text.Family("crik_checkpoint_frozen_seconds", "histogram", "How long each committed checkpoint held the app stopped: from CRIU's seize of its first process to crik letting it go "
            + "(when the app ends after it, to the moment it could have been). With a CRIU without criu-patches/0013, from a little earlier: CRIU's start plus the seize's time in its log.")
            .Histogram("crik_checkpoint_frozen_seconds", "", _frozen.Snapshot());
        text.Family("crik_checkpoint_written_bytes", "gauge", "Bytes the last committed checkpoint wrote (the rest was shared with earlier ones).")
            .Sample("crik_checkpoint_written_bytes", "", Volatile.Read(ref _lastWritten));
        text.Family("crik_checkpoint_app_wrote_bytes", "gauge",
                "Bytes of memory the app wrote between the last two committed checkpoints, as crik tracked its writes; NaN when it did not track them all.")
            .Sample("crik_checkpoint_app_wrote_bytes", "", Volatile.Read(ref _lastAppWrote));
        text.Family("crik_checkpoint_size_bytes", "gauge", "Image size of the last committed checkpoint.")
            .Sample("crik_checkpoint_size_bytes", "", Volatile.Read(ref _lastSize));
        text.Family("crik_checkpoint_last_success_timestamp_seconds", "gauge", "When this pod last committed a checkpoint, in Unix seconds; 0 when it has not.")
            .Sample("crik_checkpoint_last_success_timestamp_seconds", "", Volatile.Read(ref _lastCommittedAt));
        text.Family("crik_checkpoint_interval_seconds", "gauge", "The configured checkpointInterval in seconds; 0 when periodic checkpoints are off.")
            .Sample("crik_checkpoint_interval_seconds", "", checkpointInterval?.TotalSeconds ?? 0);
        MetricsText.Counter(text, "crik_checkpoints_set_aside_total", "Checkpoints set aside: unfinished, unreadable, of another app, failed to restore, or given up on.", ref _setAside);
        MetricsText.Counter(text, "crik_checkpoints_periodic_stretched_total",
            "Periodic checkpoints that took checkpointInterval or longer: the next one started an interval after it ended, not after it began.", ref _stretched);
    }

    /// <summary>A checkpoint that ran: counted, and its histogram to be timed in.</summary>
    private Histogram Ran(string reason, string outcome)
    {
        Count(reason, outcome);
        return _durations.GetOrAdd((reason, outcome), _ => new Histogram(Histogram.DurationBounds));
    }

    private void Count(string reason, string outcome) => _counts.AddOrUpdate((reason, outcome), 1, (_, n) => n + 1);
}

using System.Collections.Concurrent;
using Crik.Shared.Prometheus;

namespace Crik.Cli.Observing;

/// <summary>
/// The restores' figures behind /metrics: how many by mode and outcome, how long, the memory they left shared, a lazy
/// restore's memory all in and its store stopping to answer, and the checkpoints resumed again or given up on.
/// </summary>
internal sealed class RestoreMetrics
{
    private readonly ConcurrentDictionary<string, Histogram> _durations = new();
    private readonly ConcurrentDictionary<(string Mode, string Outcome), long> _counts = new(
        new[] { ("eager", "restored"), ("eager", "failed"), ("lazy", "restored"), ("lazy", "failed"), ("lazy", "fell_back") }.Select(k => KeyValuePair.Create(k, 0L)));
    private double _memoryAllIn = double.NaN;
    /// <summary>The memory the last restore left shared between the app's processes (CRIU's restore statistics); -1 until a restore said.</summary>
    private long _shared = -1;
    /// <summary>When (<see cref="Environment.TickCount64"/>) the store stopped answering while a lazy restore's memory arrives; 0 while it answers.</summary>
    private long _storeWaitingSince;
    private long _storeOutages;
    private long _resumedAgain;
    private long _crashLoopGiveUps;

    public void On(Happening happening)
    {
        switch (happening)
        {
            case Happening.Restored r:
                _durations.GetOrAdd(Mode(r.Lazily), _ => new Histogram(Histogram.DurationBounds)).Observe(r.Took.TotalSeconds);
                Count(Mode(r.Lazily), "restored");
                if (r.SharedBytes is { } shared)
                {
                    Volatile.Write(ref _shared, shared);
                }
                break;
            case Happening.RestoreFailed f:
                Count(Mode(f.Lazily), "failed");
                break;
            case Happening.LazyRestoreFellBack:
                Count("lazy", "fell_back");
                break;
            case Happening.RestoreMemoryAllIn m:
                Volatile.Write(ref _memoryAllIn, m.Took.TotalSeconds);
                break;
            case Happening.StoreOutageWhileLoading o:
                StoreOutage(o);
                break;
            case Happening.RestoreResumedAgain:
                Interlocked.Increment(ref _resumedAgain);
                break;
            case Happening.RestoreCrashLoop:
                Interlocked.Increment(ref _crashLoopGiveUps);
                break;
        }
    }

    public void Render(PrometheusText text)
    {
        text.Family("crik_restore_duration_seconds", "histogram", "Restores that brought the app back, by mode (eager: all memory first; lazy: memory after the app runs).");
        foreach (var (mode, histogram) in _durations.OrderBy(h => h.Key))
            text.Histogram("crik_restore_duration_seconds", PrometheusText.Labels(("mode", mode)), histogram.Snapshot());
        text.Family("crik_restores_total", "counter", "Restores by mode and outcome (restored; failed; fell_back: a lazy restore that failed before the app ran, then restored eagerly).");
        foreach (var ((mode, outcome), count) in _counts.OrderBy(c => c.Key))
            text.Sample("crik_restores_total", PrometheusText.Labels(("mode", mode), ("outcome", outcome)), count);
        if (!double.IsNaN(Volatile.Read(ref _memoryAllIn)))
        {
            text.Family("crik_restore_memory_all_in_seconds", "gauge", "Seconds from a lazy restore's start until the app's memory was all in.")
                .Sample("crik_restore_memory_all_in_seconds", "", Volatile.Read(ref _memoryAllIn));
        }
        if (Volatile.Read(ref _shared) is >= 0 and var shared)
        {
            text.Family("crik_restore_shared_bytes", "gauge", "Memory the last restore left shared copy-on-write between the app's processes, as CRIU counted it (pages_skipped_cow).")
                .Sample("crik_restore_shared_bytes", "", shared);
        }
        MetricsText.SecondsSince(text, "crik_lazy_restore_store_waiting_seconds",
            "How long a lazily restored app has waited for its image store, which stopped answering while its memory arrives; 0 while it answers.", ref _storeWaitingSince);
        MetricsText.Counter(text, "crik_lazy_restore_store_outages_total", "Times the image store stopped answering while a lazily restored app's memory arrived.", ref _storeOutages);
        MetricsText.Counter(text, "crik_restore_resumed_again_total", "Checkpoints resumed again because the pod that restored them ended without a newer one.", ref _resumedAgain);
        MetricsText.Counter(text, "crik_restore_crash_loop_give_ups_total", "Checkpoints given up on after restoreAttempts restores in a row whose pods died.", ref _crashLoopGiveUps);
    }

    /// <summary>The store stopped answering while memory arrives (counted once, and timed from its start), or answers again.</summary>
    private void StoreOutage(Happening.StoreOutageWhileLoading outage)
    {
        if (outage.Over)
        {
            Interlocked.Exchange(ref _storeWaitingSince, 0);
        }
        else if (Interlocked.CompareExchange(ref _storeWaitingSince, Environment.TickCount64 - (long)outage.Lasted.TotalMilliseconds, 0) == 0)
        {
            Interlocked.Increment(ref _storeOutages);
        }
    }

    private void Count(string mode, string outcome) => _counts.AddOrUpdate((mode, outcome), 1, (_, n) => n + 1);

    private static string Mode(bool lazily) => lazily ? "lazy" : "eager";
}

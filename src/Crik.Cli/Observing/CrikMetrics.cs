using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Crik.Shared.Prometheus;

namespace Crik.Cli.Observing;

/// <summary>
/// The figures behind crik's /metrics, kept from the moments published (<see cref="Happening"/>). Names follow
/// Prometheus' conventions: the crik_ prefix, base units (seconds, bytes), _total on counters.
/// </summary>
/// <param name="checkpointInterval">The configured checkpointInterval; null when periodic checkpoints are off.</param>
/// <param name="asksNodeState">A node-state server is configured: its answers are counted from 0.</param>
internal sealed class CrikMetrics(TimeSpan? checkpointInterval = null, bool asksNodeState = false) : IHappeningListener
{
    private static readonly string[] NodeStateAnswers = ["ready", "at_risk", "shutting_down", "unknown", "error"];

    /// <summary>Seconds the app is held frozen, from a small app's ten milliseconds to a large one's minute.</summary>
    public static readonly IReadOnlyList<double> FrozenBounds = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Why a checkpoint is taken and what it came to, each counted from 0 so that an alert's increase() sees the first one.</summary>
    private static readonly string[] Reasons = ["sigterm", "periodic", "at_risk", "on_demand"];
    private static readonly string[] Outcomes = ["committed", "failed", "skipped"];

    private static readonly string Version = typeof(CrikMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    private static readonly Lazy<double> StartedAt = new(ProcessStartTime);

    private readonly ConcurrentDictionary<(string Reason, string Outcome), Histogram> _checkpoints = new();
    private readonly ConcurrentDictionary<(string Reason, string Outcome), long> _checkpointCounts = new(
        Reasons.SelectMany(r => Outcomes.Select(o => KeyValuePair.Create((r, o), 0L))));
    private readonly ConcurrentDictionary<string, Histogram> _restores = new();
    private readonly ConcurrentDictionary<(string Mode, string Outcome), long> _restoreCounts = new(
        new[] { ("eager", "restored"), ("eager", "failed"), ("lazy", "restored"), ("lazy", "failed"), ("lazy", "fell_back") }.Select(k => KeyValuePair.Create(k, 0L)));
    private readonly Histogram _frozen = new(FrozenBounds);
    private long _setAside;
    private long _resumedAgain;
    private long _crashLoopGiveUps;
    private long _oomKills;
    private long _leaseFreezes;
    private int _appRunning;
    private long _lastWritten;
    private long _lastSize;
    private double _lastCommittedAt;
    private volatile AppStart? _appStart;
    private double _memoryAllIn = double.NaN;
    /// <summary>The memory the last restore left shared between the app's processes (CRIU's restore statistics); -1 until a restore said.</summary>
    private long _restoreShared = -1;
    /// <summary>When (<see cref="Environment.TickCount64"/>) the store stopped answering while a lazy restore's memory arrives; 0 while it answers.</summary>
    private long _storeWaitingSince;
    private long _storeOutages;
    private volatile LeaseState _lease = LeaseState.None;
    /// <summary>When (<see cref="Environment.TickCount64"/>) the app was frozen for a lease in doubt; 0 while it is not.</summary>
    private long _leaseDoubtSince;
    private long _leaseDoubtsKept;
    private double _leaseKeptAfter;

    public void On(Happening happening)
    {
        switch (happening)
        {
            case Happening.CheckpointCommitted c:
                Ran(c.Reason, "committed").Observe(c.Took.TotalSeconds);
                _frozen.Observe(c.Frozen.TotalSeconds);
                Volatile.Write(ref _lastWritten, c.WrittenBytes);
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
            case Happening.Restored or Happening.RestoreFailed or Happening.AppNotStarted or Happening.AppGone or Happening.LazyRestoreFellBack
                or Happening.StartedFresh:
                OnAppLife(happening);
                break;
            case Happening.RestoreMemoryAllIn m:
                Volatile.Write(ref _memoryAllIn, m.Took.TotalSeconds);
                break;
            case Happening.StoreOutageWhileLoading o:
                StoreOutage(o);
                break;
            case Happening.CheckpointSetAside:
                Interlocked.Increment(ref _setAside);
                break;
            case Happening.RestoreResumedAgain:
                Interlocked.Increment(ref _resumedAgain);
                break;
            case Happening.RestoreCrashLoop:
                Interlocked.Increment(ref _crashLoopGiveUps);
                break;
            case Happening.AppOomKilled:
                Interlocked.Increment(ref _oomKills);
                break;
            case Happening.LeaseChanged or Happening.LeaseInDoubt or Happening.LeaseKept or Happening.LeaseLost:
                OnLease(happening);
                break;
        }
    }

    /// <summary>The app's start (restored or fresh), a restore that failed, and the app's end.</summary>
    private void OnAppLife(Happening happening)
    {
        switch (happening)
        {
            case Happening.Restored r:
                _restores.GetOrAdd(Mode(r.Lazily), _ => new Histogram(Histogram.DurationBounds)).Observe(r.Took.TotalSeconds);
                _restoreCounts.AddOrUpdate((Mode(r.Lazily), "restored"), 1, (_, n) => n + 1);
                _appStart = new AppStart("restored", r.SinceStart.TotalSeconds);
                if (r.SharedBytes is { } shared)
                {
                    Volatile.Write(ref _restoreShared, shared);
                }
                Volatile.Write(ref _appRunning, 1);
                break;
            case Happening.RestoreFailed f:
                _restoreCounts.AddOrUpdate((Mode(f.Lazily), "failed"), 1, (_, n) => n + 1);
                Volatile.Write(ref _appRunning, 0);
                break;
            case Happening.LazyRestoreFellBack:
                _restoreCounts.AddOrUpdate(("lazy", "fell_back"), 1, (_, n) => n + 1);
                break;
            case Happening.StartedFresh f:
                _appStart = new AppStart("fresh", f.SinceStart.TotalSeconds);
                Volatile.Write(ref _appRunning, 1);
                break;
            default:
                Volatile.Write(ref _appRunning, 0); // AppNotStarted, AppGone
                break;
        }
    }

    public string Render()
    {
        var text = new PrometheusText();
        RenderCheckpoints(text);
        RenderRestores(text);
        RenderLife(text);
        RenderStore(text);
        RenderProcess(text);
        return text.ToString();
    }

    private void RenderCheckpoints(PrometheusText text)
    {
        text.Family("crik_checkpoints_total", "counter", "Checkpoints by why they were taken and what they came to: committed, failed, or skipped (not started).");
        foreach (var ((reason, outcome), count) in _checkpointCounts.OrderBy(c => c.Key))
            text.Sample("crik_checkpoints_total", PrometheusText.Labels(("reason", reason), ("outcome", outcome)), count);
        text.Family("crik_checkpoint_duration_seconds", "histogram", "Checkpoints that ran, by why they were taken and what they came to (committed or failed), from start to commit.");
        foreach (var ((reason, outcome), histogram) in _checkpoints.OrderBy(h => h.Key))
            text.Histogram("crik_checkpoint_duration_seconds", PrometheusText.Labels(("reason", reason), ("outcome", outcome)), histogram.Snapshot());
        text.Family("crik_checkpoint_frozen_seconds", "histogram", "How long each committed checkpoint's CRIU dump held the app frozen.")
            .Histogram("crik_checkpoint_frozen_seconds", "", _frozen.Snapshot());
        text.Family("crik_checkpoint_written_bytes", "gauge", "Bytes the last committed checkpoint wrote (the rest was shared with earlier ones).")
            .Sample("crik_checkpoint_written_bytes", "", Volatile.Read(ref _lastWritten));
        text.Family("crik_checkpoint_size_bytes", "gauge", "Image size of the last committed checkpoint.")
            .Sample("crik_checkpoint_size_bytes", "", Volatile.Read(ref _lastSize));
        text.Family("crik_checkpoint_last_success_timestamp_seconds", "gauge", "When this pod last committed a checkpoint, in Unix seconds; 0 when it has not.")
            .Sample("crik_checkpoint_last_success_timestamp_seconds", "", Volatile.Read(ref _lastCommittedAt));
        text.Family("crik_checkpoint_interval_seconds", "gauge", "The configured checkpointInterval in seconds; 0 when periodic checkpoints are off.")
            .Sample("crik_checkpoint_interval_seconds", "", checkpointInterval?.TotalSeconds ?? 0);
        Counter(text, "crik_checkpoints_set_aside_total", "Checkpoints set aside: unfinished, unreadable, of another app, failed to restore, or given up on.", ref _setAside);
    }

    private void RenderRestores(PrometheusText text)
    {
        text.Family("crik_restore_duration_seconds", "histogram", "Restores that brought the app back, by mode (eager: all memory first; lazy: memory after the app runs).");
        foreach (var (mode, histogram) in _restores.OrderBy(h => h.Key))
            text.Histogram("crik_restore_duration_seconds", PrometheusText.Labels(("mode", mode)), histogram.Snapshot());
        text.Family("crik_restores_total", "counter", "Restores by mode and outcome (restored; failed; fell_back: a lazy restore that failed before the app ran, then restored eagerly).");
        foreach (var ((mode, outcome), count) in _restoreCounts.OrderBy(c => c.Key))
            text.Sample("crik_restores_total", PrometheusText.Labels(("mode", mode), ("outcome", outcome)), count);
        if (!double.IsNaN(Volatile.Read(ref _memoryAllIn)))
        {
            text.Family("crik_restore_memory_all_in_seconds", "gauge", "Seconds from a lazy restore's start until the app's memory was all in.")
                .Sample("crik_restore_memory_all_in_seconds", "", Volatile.Read(ref _memoryAllIn));
        }
        if (Volatile.Read(ref _restoreShared) is >= 0 and var shared)
        {
            text.Family("crik_restore_shared_bytes", "gauge", "Memory the last restore left shared copy-on-write between the app's processes, as CRIU counted it (pages_skipped_cow).")
                .Sample("crik_restore_shared_bytes", "", shared);
        }
        long waitingSince = Interlocked.Read(ref _storeWaitingSince);
        text.Family("crik_lazy_restore_store_waiting_seconds", "gauge", "How long a lazily restored app has waited for its image store, which stopped answering while its memory arrives; 0 while it answers.")
            .Sample("crik_lazy_restore_store_waiting_seconds", "", waitingSince == 0 ? 0 : (Environment.TickCount64 - waitingSince) / 1000.0);
        Counter(text, "crik_lazy_restore_store_outages_total", "Times the image store stopped answering while a lazily restored app's memory arrived.", ref _storeOutages);
        Counter(text, "crik_restore_resumed_again_total", "Checkpoints resumed again because the pod that restored them ended without a newer one.", ref _resumedAgain);
        Counter(text, "crik_restore_crash_loop_give_ups_total", "Checkpoints given up on after restoreAttempts restores in a row whose pods died.", ref _crashLoopGiveUps);
    }

    private void RenderLife(PrometheusText text)
    {
        text.Family("crik_app_running", "gauge", "1 while the app (fresh or restored) runs; 0 before it starts, after it ended, and when crik started nothing.")
            .Sample("crik_app_running", "", Volatile.Read(ref _appRunning));
        if (_appStart is { } start)
        {
            text.Family("crik_app_start_seconds", "gauge", "Seconds from crik's start to the app running, restored or fresh.")
                .Sample("crik_app_start_seconds", PrometheusText.Labels(("how", start.How)), start.Seconds);
        }
        Counter(text, "crik_app_oom_kills_total", "Times the OOM killer killed the app.", ref _oomKills);
        text.Family("crik_lease_state", "gauge", "The image directory's lock or lease: 1 for the state it is in.");
        foreach (LeaseState state in Enum.GetValues<LeaseState>())
            text.Sample("crik_lease_state", PrometheusText.Labels(("state", state.ToString().ToLowerInvariant())), state == _lease ? 1 : 0);
        Counter(text, "crik_lease_freezes_total", "Times crik froze the app because its lease could not be renewed.", ref _leaseFreezes);
        long doubtSince = Interlocked.Read(ref _leaseDoubtSince);
        text.Family("crik_lease_in_doubt_seconds", "gauge", "How long the app has been frozen because crik cannot renew its lease (the store does not answer); 0 while it is not.")
            .Sample("crik_lease_in_doubt_seconds", "", doubtSince == 0 ? 0 : (Environment.TickCount64 - doubtSince) / 1000.0);
        Counter(text, "crik_lease_doubts_kept_total", "Times a lease in doubt was renewed again (no other pod took it) and the frozen app ran on.", ref _leaseDoubtsKept);
        text.Family("crik_lease_kept_after_seconds", "gauge", "How long the app was frozen before the last lease in doubt was kept; 0 when none was.")
            .Sample("crik_lease_kept_after_seconds", "", Volatile.Read(ref _leaseKeptAfter));
        text.Family("crik_node_state_queries_total", "counter", "Questions crik asked the node-state server, by its answer (ready, at_risk, shutting_down, unknown) or error.");
        Dictionary<string, long> answers = Tallies.NodeStateAnswerCounts.ToDictionary(a => a.Key, a => a.Count);
        foreach (string answer in asksNodeState ? NodeStateAnswers.Union(answers.Keys) : answers.Keys)
            text.Sample("crik_node_state_queries_total", PrometheusText.Labels(("answer", answer)), answers.GetValueOrDefault(answer));
    }

    private static void RenderStore(PrometheusText text)
    {
        text.Family("crik_store_requests_total", "counter", "Requests to the image store (volume or s3), by operation; one however many attempts it took.");
        foreach (var ((backend, operation), count) in Tallies.StoreRequestCounts)
            text.Sample("crik_store_requests_total", PrometheusText.Labels(("backend", backend), ("operation", operation)), count);
        text.Family("crik_store_errors_total", "counter", "Requests to the image store that failed in the end, after any retries.");
        foreach (var ((backend, operation), count) in Tallies.StoreErrorCounts)
            text.Sample("crik_store_errors_total", PrometheusText.Labels(("backend", backend), ("operation", operation)), count);
        text.Family("crik_store_retries_total", "counter", "Attempts after the first at a request to the image store.");
        foreach (var (backend, count) in Tallies.StoreRetryCounts)
            text.Sample("crik_store_retries_total", PrometheusText.Labels(("backend", backend)), count);
    }

    private static void RenderProcess(PrometheusText text)
    {
        text.Family("crik_build_info", "gauge", "crik's version, as a label; always 1.")
            .Sample("crik_build_info", PrometheusText.Labels(("version", Version)), 1);
        text.Family("process_start_time_seconds", "gauge", "When crik started, in Unix seconds.")
            .Sample("process_start_time_seconds", "", StartedAt.Value);
        text.Family("process_cpu_seconds_total", "counter", "CPU time crik used (user and system), in seconds; not the app's.")
            .Sample("process_cpu_seconds_total", "", Environment.CpuUsage.TotalTime.TotalSeconds);
        text.Family("process_resident_memory_bytes", "gauge", "crik's resident memory in bytes (not the app's).")
            .Sample("process_resident_memory_bytes", "", Environment.WorkingSet);
        text.Family("crik_gc_heap_bytes", "gauge", "crik's managed heap after the last garbage collection.")
            .Sample("crik_gc_heap_bytes", "", GC.GetGCMemoryInfo().HeapSizeBytes);
    }

    /// <summary>The lease's state; a doubt is timed from the freeze until it is kept or lost.</summary>
    private void OnLease(Happening happening)
    {
        LeaseState state = happening switch
        {
            Happening.LeaseChanged l => l.State,
            Happening.LeaseInDoubt => LeaseState.Frozen,
            Happening.LeaseKept => LeaseState.Held,
            _ => LeaseState.Lost,
        };
        if (state == LeaseState.Frozen && _lease != LeaseState.Frozen)
        {
            Interlocked.Increment(ref _leaseFreezes);
        }
        if (happening is Happening.LeaseInDoubt)
        {
            Interlocked.CompareExchange(ref _leaseDoubtSince, Environment.TickCount64, 0);
        }
        else if (state != LeaseState.Frozen)
        {
            Interlocked.Exchange(ref _leaseDoubtSince, 0);
        }
        if (happening is Happening.LeaseKept kept)
        {
            Interlocked.Increment(ref _leaseDoubtsKept);
            Volatile.Write(ref _leaseKeptAfter, kept.InDoubt.TotalSeconds);
        }
        _lease = state;
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

    /// <summary>A checkpoint that ran: counted, and its histogram to be timed in.</summary>
    private Histogram Ran(string reason, string outcome)
    {
        Count(reason, outcome);
        return _checkpoints.GetOrAdd((reason, outcome), _ => new Histogram(Histogram.DurationBounds));
    }

    private void Count(string reason, string outcome) => _checkpointCounts.AddOrUpdate((reason, outcome), 1, (_, n) => n + 1);

    /// <summary>crik's start in Unix seconds, from the kernel; failing that, now less crik's uptime (its clock starts in Program.cs).</summary>
    private static double ProcessStartTime()
    {
        try
        {
            using var self = Process.GetCurrentProcess();
            return new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return (DateTimeOffset.UtcNow - CrikUptime.Elapsed).ToUnixTimeMilliseconds() / 1000.0;
        }
    }

    /// <summary>How and when the app started: one object, so that a scrape never reads one start's label with another's time.</summary>
    private sealed record AppStart(string How, double Seconds);

    private static string Mode(bool lazily) => lazily ? "lazy" : "eager";

    private static void Counter(PrometheusText text, string name, string help, ref long value) =>
        text.Family(name, "counter", help).Sample(name, "", Interlocked.Read(ref value));
}

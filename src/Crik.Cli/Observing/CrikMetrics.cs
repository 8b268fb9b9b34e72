using System.Diagnostics;
using System.Reflection;
using Crik.Shared.Prometheus;

namespace Crik.Cli.Observing;

/// <summary>
/// The figures behind crik's /metrics, kept from the moments published (<see cref="Happening"/>) by the owners of
/// each kind (<see cref="CheckpointMetrics"/>, <see cref="RestoreMetrics"/>, <see cref="AppMetrics"/>, <see cref="LeaseMetrics"/>);
/// the store's, the node-state server's and crik's own are read from <see cref="Tallies"/> and the process. Names follow
/// Prometheus' conventions: the crik_ prefix, base units (seconds, bytes), _total on counters.
/// </summary>
/// <param name="checkpointInterval">The configured checkpointInterval; null when periodic checkpoints are off.</param>
/// <param name="asksNodeState">A node-state server is configured: its answers are counted from 0.</param>
internal sealed class CrikMetrics(TimeSpan? checkpointInterval = null, bool asksNodeState = false) : IHappeningListener
{
    private static readonly string[] NodeStateAnswers = ["ready", "at_risk", "shutting_down", "unknown", "error"];

    private static readonly string Version = typeof(CrikMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    private static readonly Lazy<double> StartedAt = new(ProcessStartTime);

    private readonly CheckpointMetrics _checkpoints = new(checkpointInterval);
    private readonly RestoreMetrics _restores = new();
    private readonly AppMetrics _app = new();
    private readonly LeaseMetrics _lease = new();

    public void On(Happening happening)
    {
        switch (happening)
        {
            case Happening.CheckpointCommitted or Happening.CheckpointFailed or Happening.CheckpointSkipped or Happening.CheckpointSetAside
                or Happening.PeriodicCheckpointStretched:
                _checkpoints.On(happening);
                break;
            case Happening.Restored or Happening.RestoreFailed:
                _restores.On(happening);
                _app.On(happening);
                break;
            case Happening.LazyRestoreFellBack or Happening.RestoreMemoryAllIn or Happening.StoreOutageWhileLoading or Happening.RestoreResumedAgain
                or Happening.RestoreCrashLoop:
                _restores.On(happening);
                break;
            case Happening.AppNotStarted or Happening.AppGone or Happening.StartedFresh or Happening.AppOomKilled:
                _app.On(happening);
                break;
            case Happening.LeaseChanged or Happening.LeaseInDoubt or Happening.LeaseKept or Happening.LeaseLost:
                _lease.On(happening);
                break;
        }
    }

    public string Render()
    {
        var text = new PrometheusText();
        _checkpoints.Render(text);
        _restores.Render(text);
        _app.Render(text);
        _lease.Render(text);
        RenderNodeState(text);
        RenderStore(text);
        RenderProcess(text);
        return text.ToString();
    }

    private void RenderNodeState(PrometheusText text)
    {
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
}

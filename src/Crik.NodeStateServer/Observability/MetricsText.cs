using System.Globalization;
using Crik.NodeStateServer.State;
using Crik.NodeStateServer.Sync;
using Crik.Shared.Prometheus;

namespace Crik.NodeStateServer.Observability;

/// <summary>What /metrics says: nodes by state, answers by verdict, the list and watch's health, requests, memory.</summary>
internal static class MetricsText
{
    public static string Render(NodeSnapshot snapshot, ServerMetrics metrics, SyncHealth health, (long Now, long Refused) held)
    {
        var text = new PrometheusText();
        text.Family("node_state_server_nodes", "gauge", "Known nodes by state.")
            .Sample("node_state_server_nodes", State("ready"), snapshot.ReadyCount)
            .Sample("node_state_server_nodes", State("at-risk"), snapshot.AtRiskCount)
            .Sample("node_state_server_nodes", State("shutting-down"), snapshot.ShuttingDownCount);

        text.Family("node_state_server_answers_total", "counter", "Answers to GET /v1/nodes/{name}, by the verdict they gave (unknown: a node the server does not know).");
        foreach (var verdict in ServerMetrics.Verdicts)
            text.Sample("node_state_server_answers_total", PrometheusText.Labels(("verdict", verdict)), metrics.AnswersWith(verdict));

        text.Family("node_state_server_held_answers", "gauge", "Answers held now for news of a shutdown (crik asks so at a SIGTERM, with waitMs).")
            .Sample("node_state_server_held_answers", "", held.Now);
        text.Family("node_state_server_held_answers_refused_total", "counter",
                "Questions that asked for a held answer and were answered at once: half of --max-connections were held already.")
            .Sample("node_state_server_held_answers_refused_total", "", held.Refused);

        text.Family("node_state_server_list_restarts_total", "counter", "Full lists of nodes after the first one (410 Gone or errors).")
            .Sample("node_state_server_list_restarts_total", "", metrics.ListRestarts);
        text.Family("node_state_server_watch_restarts_total", "counter", "Watches started after the first one.")
            .Sample("node_state_server_watch_restarts_total", "", metrics.WatchRestarts);

        text.Family("node_state_server_bad_items_total", "counter", "Items from the API that were not readable Nodes: skipped list items, and watch lines that ended the watch.")
            .Sample("node_state_server_bad_items_total", Source(ServerMetrics.ListSource), metrics.BadListItems)
            .Sample("node_state_server_bad_items_total", Source(ServerMetrics.WatchSource), metrics.BadWatchEvents);

        text.Family("node_state_server_ready", "gauge", "1 when /readyz answers 200.")
            .Sample("node_state_server_ready", "", health.IsReady ? 1 : 0);

        text.Family("node_state_server_http_requests_total", "counter", "HTTP requests served, by status code.");
        foreach (var (status, count) in metrics.RequestsByStatus())
            text.Sample("node_state_server_http_requests_total", PrometheusText.Labels(("code", status.ToString(CultureInfo.InvariantCulture))), count);

        AppendMemory(text);
        return text.ToString();
    }

    private static string State(string state) => PrometheusText.Labels(("state", state));

    private static string Source(string source) => PrometheusText.Labels(("source", source));

    /// <summary>Where the process's memory is: resident in all, and the managed heap's part of it.</summary>
    private static void AppendMemory(PrometheusText text)
    {
        text.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
            .Sample("process_resident_memory_bytes", "", Environment.WorkingSet);

        var gc = GC.GetGCMemoryInfo();
        text.Family("node_state_server_gc_heap_bytes", "gauge", "Managed heap size after the last garbage collection, live objects and fragmentation.")
            .Sample("node_state_server_gc_heap_bytes", "", gc.HeapSizeBytes);
        text.Family("node_state_server_gc_committed_bytes", "gauge", "Memory the garbage collector has committed for the managed heap.")
            .Sample("node_state_server_gc_committed_bytes", "", gc.TotalCommittedBytes);
        text.Family("node_state_server_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since start.")
            .Sample("node_state_server_gc_allocated_bytes_total", "", GC.GetTotalAllocatedBytes());
        text.Family("node_state_server_gc_pause_seconds_total", "counter", "Time the process was paused for garbage collections since start.")
            .Sample("node_state_server_gc_pause_seconds_total", "", GC.GetTotalPauseDuration().TotalSeconds);
        text.Family("node_state_server_gc_collections_total", "counter", "Garbage collections since start, by generation (a generation's collection also collects the younger ones).");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            text.Sample("node_state_server_gc_collections_total", PrometheusText.Labels(("generation", generation.ToString(CultureInfo.InvariantCulture))), GC.CollectionCount(generation));
    }
}

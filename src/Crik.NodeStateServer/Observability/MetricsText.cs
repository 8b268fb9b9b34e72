using System.Globalization;
using System.Text;
using Crik.NodeStateServer.State;
using Crik.NodeStateServer.Sync;

namespace Crik.NodeStateServer.Observability;

/// <summary>Renders the Prometheus text exposition format (version 0.0.4).</summary>
internal static class MetricsText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Render(NodeSnapshot snapshot, ServerMetrics metrics, SyncHealth health)
    {
        var text = new StringBuilder(1024);
        Header(text, "node_state_server_nodes", "gauge", "Known nodes by state.");
        Sample(text, "node_state_server_nodes{state=\"ready\"}", snapshot.ReadyCount);
        Sample(text, "node_state_server_nodes{state=\"at-risk\"}", snapshot.AtRiskCount);
        Sample(text, "node_state_server_nodes{state=\"shutting-down\"}", snapshot.ShuttingDownCount);

        Header(text, "node_state_server_list_restarts_total", "counter", "Full lists of nodes after the first one (410 Gone or errors).");
        Sample(text, "node_state_server_list_restarts_total", metrics.ListRestarts);

        Header(text, "node_state_server_watch_restarts_total", "counter", "Watches started after the first one.");
        Sample(text, "node_state_server_watch_restarts_total", metrics.WatchRestarts);

        Header(text, "node_state_server_bad_items_total", "counter", "Items from the API that were not readable Nodes: skipped list items, and watch lines that ended the watch.");
        Sample(text, $"node_state_server_bad_items_total{{source=\"{ServerMetrics.ListSource}\"}}", metrics.BadListItems);
        Sample(text, $"node_state_server_bad_items_total{{source=\"{ServerMetrics.WatchSource}\"}}", metrics.BadWatchEvents);

        Header(text, "node_state_server_ready", "gauge", "1 when /readyz answers 200.");
        Sample(text, "node_state_server_ready", health.IsReady ? 1 : 0);

        Header(text, "node_state_server_http_requests_total", "counter", "HTTP requests served, by status code.");
        foreach (var (status, count) in metrics.RequestsByStatus())
            Sample(text, $"node_state_server_http_requests_total{{code=\"{status.ToString(CultureInfo.InvariantCulture)}\"}}", count);

        AppendMemory(text);
        return text.ToString();
    }

    /// <summary>Where the process's memory is: resident in all, and the managed heap's part of it.</summary>
    private static void AppendMemory(StringBuilder text)
    {
        Header(text, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        Sample(text, "process_resident_memory_bytes", Environment.WorkingSet);

        var gc = GC.GetGCMemoryInfo();
        Header(text, "node_state_server_gc_heap_bytes", "gauge", "Managed heap size after the last garbage collection, live objects and fragmentation.");
        Sample(text, "node_state_server_gc_heap_bytes", gc.HeapSizeBytes);
        Header(text, "node_state_server_gc_committed_bytes", "gauge", "Memory the garbage collector has committed for the managed heap.");
        Sample(text, "node_state_server_gc_committed_bytes", gc.TotalCommittedBytes);
        Header(text, "node_state_server_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since start.");
        Sample(text, "node_state_server_gc_allocated_bytes_total", GC.GetTotalAllocatedBytes());
        Header(text, "node_state_server_gc_pause_seconds_total", "counter", "Time the process was paused for garbage collections since start.");
        text.Append("node_state_server_gc_pause_seconds_total ").Append(GC.GetTotalPauseDuration().TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture)).Append('\n');
        Header(text, "node_state_server_gc_collections_total", "counter", "Garbage collections since start, by generation (a generation's collection also collects the younger ones).");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            Sample(text, $"node_state_server_gc_collections_total{{generation=\"{generation.ToString(CultureInfo.InvariantCulture)}\"}}", GC.CollectionCount(generation));
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string series, long value) =>
        text.Append(series).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}

using Crik.NodeStateServer.Observability;
using Crik.NodeStateServer.State;
using Crik.NodeStateServer.Sync;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

/// <summary>Every metric family the node-state server serves is on a panel of examples/monitoring/crik-dashboard.json.</summary>
[Trait("Category", "Unit")]
public sealed class DashboardMetricsTests
{
    [Fact]
    public void EveryFamilyTheServerServesIsReadByAPanel()
    {
        var metrics = new ServerMetrics();
        metrics.RequestCompleted(200);
        string served = MetricsText.Render(NodeSnapshot.Empty, metrics, new SyncHealth(new WatcherSettings(), TimeProvider.System), held: (0, 0));

        Assert.Contains("# TYPE node_state_server_gc_collections_total counter", served, StringComparison.Ordinal);
        // process_resident_memory_bytes is the process's own: crik's memory panel reads crik's, and the server's heap is on a panel.
        Assert.DoesNotContain(GrafanaDashboard.FamiliesOnNoPanel(served), family => family.StartsWith("node_state_server_", StringComparison.Ordinal));
    }
}

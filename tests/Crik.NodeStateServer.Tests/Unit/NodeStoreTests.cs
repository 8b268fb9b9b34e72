using System.Text.Json;
using Crik.NodeStateServer.Http;
using Crik.NodeStateServer.Kubernetes;
using Crik.NodeStateServer.Rules;
using Crik.NodeStateServer.State;
using Crik.NodeStateServer.Tests.FakeApi;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class NodeStoreTests
{
    private static KubeNode Node(string name, string? taint = null)
    {
        var json = FakeNode.Create(name);
        if (taint is not null)
            FakeNode.AddTaint(json, taint);
        return JsonSerializer.Deserialize(json.ToJsonString(), KubeJsonContext.Default.KubeNode)!;
    }

    private static NodeStore NewStore(TimeProvider? clock = null, ShutdownRules? rules = null) =>
        new(rules ?? ShutdownRules.Default, clock ?? TimeProvider.System, NullLogger<NodeStore>.Instance);

    /// <summary>A clock the test moves.</summary>
    private sealed class SettableClock : TimeProvider
    {
        public long Now { get; set; } = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Now;
    }

    [Fact]
    public void FullListReplacesTheSnapshotDroppingNodesItNoLongerHas()
    {
        var store = NewStore();
        store.ReplaceAll([Node("a"), Node("b", "karpenter.sh/disrupted")]);
        var before = store.Snapshot;

        store.ReplaceAll([Node("a")]);
        Assert.DoesNotContain("b", store.Snapshot.Nodes.Keys);
        Assert.Equal([NodeStore.DeletedReason], store.Find("b")!.Evaluation.Reasons.ToArray());
        Assert.Equal(0, store.Snapshot.ShuttingDownCount);
        Assert.Equal(2, before.Nodes.Count);
        Assert.Equal(1, before.ShuttingDownCount);
    }

    /// <summary>
    /// A deleted node is shutting-down (node-deleted) while its pods end, then unknown; one added again is itself again; and
    /// without the deletion-timestamp rule it is unknown at once. Deleted nodes are counted in no state.
    /// </summary>
    [Fact]
    public void ADeletedNodeIsShuttingDownForAWhileThenUnknown()
    {
        var clock = new SettableClock();
        var store = NewStore(clock);
        store.ReplaceAll([Node("a"), Node("b")]);

        store.Remove("a");
        var gone = store.Find("a")!;
        Assert.Equal(NodeState.ShuttingDown, gone.Evaluation.State);
        Assert.Equal([NodeStore.DeletedReason], gone.Evaluation.Reasons.ToArray());
        Assert.Equal(0, store.Snapshot.ShuttingDownCount);
        Assert.Equal(1, store.Snapshot.ReadyCount);
        clock.Now += (NodeStore.DeletedFor - TimeSpan.FromSeconds(1)).Ticks;
        Assert.NotNull(store.Find("a"));
        clock.Now += TimeSpan.FromSeconds(1).Ticks;
        Assert.Null(store.Find("a"));

        store.Remove("b");
        store.Upsert(Node("b"));
        Assert.Equal(NodeState.Ready, store.Find("b")!.Evaluation.State);

        var withoutTheRule = NewStore(clock, ShutdownRules.Default with { DeletionTimestamp = false });
        withoutTheRule.ReplaceAll([Node("c")]);
        withoutTheRule.Remove("c");
        Assert.Null(withoutTheRule.Find("c"));
    }

    [Fact]
    public void CountsFollowUpsertsAndRemovals()
    {
        var store = NewStore();
        store.Upsert(Node("a", "karpenter.sh/disrupted"));
        store.Upsert(Node("b"));
        Assert.Equal((1, 1), (store.Snapshot.ShuttingDownCount, store.Snapshot.ReadyCount));

        store.Upsert(Node("a"));
        Assert.Equal((0, 2), (store.Snapshot.ShuttingDownCount, store.Snapshot.ReadyCount));

        store.Upsert(Node("b", "ToBeDeletedByClusterAutoscaler"));
        store.Remove("b");
        store.Remove("never-there");
        Assert.Equal((0, 1), (store.Snapshot.ShuttingDownCount, store.Snapshot.ReadyCount));
    }

    [Fact]
    public void AtRiskNodesAreCountedApartAndMoveBetweenStates()
    {
        var store = NewStore();
        store.ReplaceAll([Node("a", "DeletionCandidateOfClusterAutoscaler"), Node("b")]);
        Assert.Equal((0, 1, 1), (store.Snapshot.ShuttingDownCount, store.Snapshot.AtRiskCount, store.Snapshot.ReadyCount));

        store.Upsert(Node("a", "ToBeDeletedByClusterAutoscaler"));
        Assert.Equal((1, 0, 1), (store.Snapshot.ShuttingDownCount, store.Snapshot.AtRiskCount, store.Snapshot.ReadyCount));

        store.Upsert(Node("b", "aws-node-termination-handler/rebalance-recommendation"));
        store.Remove("a");
        Assert.Equal((0, 1, 0), (store.Snapshot.ShuttingDownCount, store.Snapshot.AtRiskCount, store.Snapshot.ReadyCount));
        Assert.Equal("at-risk", NodeAnswers.StateWord(store.Find("b")!.Evaluation.State));
    }

    [Fact]
    public void AnswerIsTheSerializedVerdictAndIsReusedUntilTheNodeChanges()
    {
        var store = NewStore();
        store.Upsert(Node("a", "karpenter.sh/disrupted"));
        var first = NodeAnswers.For("a", store.Find("a"));
        Assert.Equal("""{"name":"a","state":"shutting-down","reasons":["taint:karpenter.sh/disrupted"]}""",
            System.Text.Encoding.UTF8.GetString(first));
        store.Upsert(Node("b"));
        Assert.Same(first, NodeAnswers.For("a", store.Find("a")));

        store.Upsert(Node("a"));
        Assert.Equal("""{"name":"a","state":"ready","reasons":[]}""", System.Text.Encoding.UTF8.GetString(NodeAnswers.For("a", store.Find("a"))));
        Assert.Equal("""{"name":"z","state":"unknown","reasons":[]}""", System.Text.Encoding.UTF8.GetString(NodeAnswers.For("z", null)));
    }
}

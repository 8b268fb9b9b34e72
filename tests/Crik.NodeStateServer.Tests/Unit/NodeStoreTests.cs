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

    private static NodeStore NewStore() => new(ShutdownRules.Default, NullLogger<NodeStore>.Instance);

    [Fact]
    public void FullListReplacesTheSnapshotDroppingNodesItNoLongerHas()
    {
        var store = NewStore();
        store.ReplaceAll([Node("a"), Node("b", "karpenter.sh/disrupted")]);
        var before = store.Snapshot;

        store.ReplaceAll([Node("a")]);
        Assert.Null(store.Find("b"));
        Assert.Equal(0, store.Snapshot.ShuttingDownCount);
        Assert.Equal(2, before.Nodes.Count);
        Assert.Equal(1, before.ShuttingDownCount);
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

using System.Text.RegularExpressions;
using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>
/// End to end: the fake Kubernetes API, the real node-state-server, and the real crik as PID 1 with a
/// real CRIU asking it on SIGTERM.
/// </summary>
public sealed class CrikAsksTheServerTests : IDisposable
{
    private const string Script = "trap 'echo app-got-term; exit 9' TERM; echo ready; while :; do sleep 0.1; done";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A replica that stops while it holds crik's question answers 503 (it could miss its own node's shutdown); crik asks again
    /// on a new connection, which the Service sends to another replica, and that one's answer decides: here the node turns
    /// while the second replica holds the question, and the checkpoint is taken.
    /// </summary>
    [CriuFact]
    public async Task AReplicaThatStopsWhileItHoldsTheQuestionSendsCrikToAnother()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("worker-9"));
        await cluster.WaitForStateAsync("worker-9", "ready");
        await using ServerProcess other = await cluster.StartReplicaAsync();
        await using var service = new ReplicaProxy(cluster.Server.Port);

        using CrikRun pod = StartPod(Config(service.Url, "nodeStateTimeout: 20s\nnodeStateWait: 10s\n"), "worker-9");
        pod.WaitForLine("ready");
        pod.Signal(Native.SIGTERM);
        await Poll.UntilAsync(async () => (await cluster.MetricsAsync()).Contains(HeldOne, StringComparison.Ordinal),
            "the first replica to hold crik's question", diagnostics: () => pod.Transcript);
        service.SendNewConnectionsTo(other.Port);
        cluster.Server.Signal(Native.SIGTERM);
        await Poll.UntilAsync(async () => (await other.GetAsync("/metrics")).Body.Contains(HeldOne, StringComparison.Ordinal),
            "the other replica to hold crik's question asked again", diagnostics: () => pod.Transcript + cluster.Server.Output);
        // The stopping replica answered the question it held ("ask another"), rather than cutting the connection.
        Assert.Contains(service.StatusLinesFrom(cluster.Server.Port), l => l.StartsWith("HTTP/1.1 503", StringComparison.Ordinal));
        cluster.Nodes.Modify("worker-9", n => FakeNode.SetReady(n, "False", "KubeletNotReady", "node is shutting down"));

        Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains(pod.Stderr, l => l.Contains("node worker-9 is shutting down: ready-condition", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(ImageDir, "checkpoint-000001")), pod.Transcript);
        Assert.DoesNotContain("app-got-term", pod.Stdout);
    }

    private const string HeldOne = "\nnode_state_server_held_answers 1\n";

    [CriuFact]
    public async Task ShuttingDownNodeGivesACheckpoint()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("worker-1"));
        cluster.Nodes.Modify("worker-1", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted", "NoSchedule"));
        await cluster.WaitForStateAsync("worker-1", "shutting-down");

        using CrikRun pod = StartPod(Config(cluster.Server.Url), "worker-1");
        pod.WaitForLine("ready");
        pod.Signal(Native.SIGTERM);
        Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains(pod.Stderr, l => l.Contains("node worker-1 is shutting down: taint:karpenter.sh/disrupted", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(ImageDir, "checkpoint-000001")), pod.Transcript);
        Assert.DoesNotContain("app-got-term", pod.Stdout);
    }

    /// <summary>
    /// kubelet's graceful node shutdown sends the pods' SIGTERM while it writes the node's Ready condition, so the server can
    /// hear of the shutdown after crik asked: crik's question is held (nodeStateWait) and the checkpoint is taken, where an
    /// answer as things stood when it asked let the app end without one.
    /// </summary>
    [CriuFact]
    public async Task ANodeThatTurnsJustAfterTheSigtermStillGivesACheckpoint()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("worker-5"));
        await cluster.WaitForStateAsync("worker-5", "ready");

        using CrikRun pod = StartPod(Config(cluster.Server.Url, "nodeStateTimeout: 20s\nnodeStateWait: 10s\n"), "worker-5");
        pod.WaitForLine("ready");
        pod.Signal(Native.SIGTERM);
        await Poll.UntilAsync(async () => (await cluster.MetricsAsync()).Contains("\nnode_state_server_held_answers 1\n", StringComparison.Ordinal),
            "crik's question to be held", diagnostics: () => pod.Transcript);
        cluster.Nodes.Modify("worker-5", n => FakeNode.SetReady(n, "False", "KubeletNotReady", "node is shutting down"));

        Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains(pod.Stderr, l => l.Contains("node worker-5 is shutting down: ready-condition", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(ImageDir, "checkpoint-000001")), pod.Transcript);
        Assert.DoesNotContain("app-got-term", pod.Stdout);
    }

    [CriuFact]
    public async Task ReadyNodeGivesTheAppSigtermAndNoCheckpoint()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("worker-2"));
        await cluster.WaitForStateAsync("worker-2", "ready");

        // nodeStateWait (1s) is cut to half of nodeStateTimeout, and the line says the hold asked for.
        using CrikRun pod = StartPod(Config(cluster.Server.Url, "nodeStateTimeout: 1s\n"), "worker-2");
        pod.WaitForLine("ready");
        pod.Signal(Native.SIGTERM);
        Assert.Equal(9, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("app-got-term", pod.Stdout);
        Assert.Contains(pod.Stderr, l => l.Contains("node worker-2 is ready", StringComparison.Ordinal)
            && Regex.IsMatch(l, @"having held the question up to (4\d\d|500) ms for news of a shutdown that came after the SIGTERM \(nodeStateWait\)"));
        Assert.False(Directory.Exists(Path.Combine(ImageDir, "checkpoint-000001")));
    }

    [CriuFact]
    public async Task ServerDownFollowsThePolicy()
    {
        Uri url;
        await using (var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("worker-3")))
        {
            url = cluster.Server.Url;
        }
        using CrikRun pod = StartPod(Config(url, "nodeStateTimeout: 500ms\n"), "worker-3");
        pod.WaitForLine("ready");
        pod.Signal(Native.SIGTERM);
        Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains(pod.Stderr, l => l.Contains("onNodeStateError: checkpoint", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(ImageDir, "checkpoint-000001")), pod.Transcript);
    }

    /// <summary>
    /// A server that has not yet listed the nodes (just started, or the API not reachable) cannot tell: crik follows
    /// onNodeStateError and says why, where it once heard "unknown" and let a node being drained end the app without a checkpoint.
    /// </summary>
    [CriuFact]
    public async Task AServerThatHasNotListedTheNodesYetFollowsThePolicy()
    {
        await using var cluster = await TestCluster.StartAsync(beforeServer: api =>
        {
            api.Cluster.Add("worker-4", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted", "NoSchedule"));
            api.BlockLists();
        });
        await Poll.UntilAsync(async () => await cluster.Server.StatusOfAsync("/healthz") == 200, "/healthz", diagnostics: () => cluster.Server.Output);
        using CrikRun pod = StartPod(Config(cluster.Server.Url, "nodeStateTimeout: 1s\n"), "worker-4");
        pod.WaitForLine("ready");
        pod.Signal(Native.SIGTERM);
        Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        string decision = Assert.Single(pod.Stderr, l => l.Contains("SIGTERM: cannot tell whether the node is shutting down", StringComparison.Ordinal));
        Assert.Contains("503 ServiceUnavailable: the node-state server has not listed the cluster's nodes yet", decision, StringComparison.Ordinal);
        Assert.Contains("onNodeStateError: checkpoint", decision, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(ImageDir, "checkpoint-000001")), pod.Transcript);
        Assert.DoesNotContain("app-got-term", pod.Stdout);
    }

    /// <summary>crik as PID 1 of a new "pod" on <paramref name="node"/>, as the downward API would name it.</summary>
    private static CrikRun StartPod(string config, string node) =>
        CrikRun.Start(["run", "--config", config, "--", "sh", "-c", Script],
            environment: new Dictionary<string, string> { ["KUBERNETES_NODE_NAME"] = node });

    private string ImageDir => Path.Combine(_dir.Path, "images");

    private string Config(Uri server, string extra = "") =>
        _dir.Write("config.yaml", $"imageDir: {ImageDir}\nnodeStateServerURL: {server}\n{extra}");
}

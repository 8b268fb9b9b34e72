using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
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

    [CrikPodFact]
    public async Task ShuttingDownNodeGivesACheckpoint()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("worker-1"));
        cluster.Nodes.Modify("worker-1", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted", "NoSchedule"));
        await cluster.WaitForStateAsync("worker-1", "shutting-down");

        using var pod = new CrikPod(Config(cluster.Server.Url), "worker-1", Script);
        await pod.WaitForOutputAsync("ready");
        pod.Terminate();
        Assert.Equal(0, pod.WaitForExit());
        Assert.Contains("node worker-1 is shutting down: taint:karpenter.sh/disrupted", pod.Stderr, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(ImageDir, "checkpoint-000001")), pod.Stderr);
        Assert.DoesNotContain("app-got-term", pod.Stdout, StringComparison.Ordinal);
    }

    [CrikPodFact]
    public async Task ReadyNodeGivesTheAppSigtermAndNoCheckpoint()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("worker-2"));
        await cluster.WaitForStateAsync("worker-2", "ready");

        using var pod = new CrikPod(Config(cluster.Server.Url), "worker-2", Script);
        await pod.WaitForOutputAsync("ready");
        pod.Terminate();
        Assert.Equal(9, pod.WaitForExit());
        Assert.Contains("app-got-term", pod.Stdout, StringComparison.Ordinal);
        Assert.Contains("node worker-2 is ready", pod.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(ImageDir, "checkpoint-000001")));
    }

    [CrikPodFact]
    public async Task ServerDownFollowsThePolicy()
    {
        Uri url;
        await using (var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("worker-3")))
        {
            url = cluster.Server.Url;
        }
        using var pod = new CrikPod(Config(url, "nodeStateTimeout: 500ms\n"), "worker-3", Script);
        await pod.WaitForOutputAsync("ready");
        pod.Terminate();
        Assert.Equal(0, pod.WaitForExit());
        Assert.Contains("onNodeStateError: checkpoint", pod.Stderr, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(ImageDir, "checkpoint-000001")), pod.Stderr);
    }

    private string ImageDir => Path.Combine(_dir.Path, "images");

    private string Config(Uri server, string extra = "") =>
        _dir.Write("config.yaml", $"imageDir: {ImageDir}\nnodeStateServerURL: {server}\n{extra}");
}

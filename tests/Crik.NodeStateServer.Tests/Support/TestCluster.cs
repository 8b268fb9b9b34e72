using System.Text.Json;
using Crik.NodeStateServer.Tests.FakeApi;
using Crik.TestSupport;

namespace Crik.NodeStateServer.Tests.Support;

/// <summary>A fake API server plus the real node-state-server pointed at it through a kubeconfig file.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private TestCluster(FakeKubeApi api, ServerProcess server, TempDirectory directory)
    {
        Api = api;
        Server = server;
        _directory = directory;
    }

    public FakeKubeApi Api { get; }
    public FakeCluster Nodes => Api.Cluster;
    public ServerProcess Server { get; }

    /// <summary>Starts both; <paramref name="beforeServer"/> prepares the fake API (nodes, blocked lists) before the server connects.</summary>
    public static async Task<TestCluster> StartAsync(string? rulesYaml = null, Action<FakeKubeApi>? beforeServer = null, params string[] extraArgs)
    {
        var api = await FakeKubeApi.StartAsync();
        beforeServer?.Invoke(api);
        var directory = new TempDirectory();
        var kubeconfig = directory.Write("kubeconfig", KubeconfigWriter.For(api));
        // The fake sends bookmarks four times a second, so a watch silent for 2 s is stuck.
        List<string> args = ["--kubeconfig", kubeconfig, "--watch-silence-seconds", "2", .. extraArgs];
        if (rulesYaml is not null)
            args.AddRange(["--config", directory.Write("rules.yaml", rulesYaml)]);
        return new TestCluster(api, ServerProcess.Start([.. args]), directory);
    }

    public static async Task<TestCluster> StartReadyAsync(string? rulesYaml = null, Action<FakeKubeApi>? beforeServer = null, params string[] extraArgs)
    {
        var cluster = await StartAsync(rulesYaml, beforeServer, extraArgs);
        await cluster.Server.WaitUntilReadyAsync();
        return cluster;
    }

    public async Task<(string State, string[] Reasons)> StateOfAsync(string node)
    {
        var (status, body) = await Server.GetAsync($"/v1/nodes/{node}");
        if ((int)status != 200)
            throw new InvalidOperationException($"GET /v1/nodes/{node} answered {(int)status}: {body}");
        return Parse(body);
    }

    /// <summary>
    /// The node's state and reasons; null while the server answers 503 (out of sync with the API, for a node it would call fine).
    /// One request: a verdict that ages out between two requests would be answered 200 and then 503.
    /// </summary>
    public async Task<(string State, string[] Reasons)?> AnsweredStateOfAsync(string node)
    {
        var (status, body) = await Server.GetAsync($"/v1/nodes/{node}");
        return (int)status switch
        {
            503 => null,
            200 => Parse(body),
            _ => throw new InvalidOperationException($"GET /v1/nodes/{node} answered {(int)status}: {body}"),
        };
    }

    private static (string State, string[] Reasons) Parse(string body)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        return (root.GetProperty("state").GetString()!, [.. root.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!)]);
    }

    public Task WaitForStateAsync(string node, string state) =>
        Poll.UntilAsync(async () => (await AnsweredStateOfAsync(node))?.State == state, $"node {node} to be {state}", diagnostics: () => Server.Output);

    /// <summary>Waits until the server's watch is open, so dropping or refusing connections cannot race with it.</summary>
    public Task WaitForOpenWatchAsync() =>
        Poll.UntilAsync(() => Nodes.OpenWatches == 1, "the server's watch to be open", diagnostics: () => Server.Output);

    public async Task<string> MetricsAsync() => (await Server.GetAsync("/metrics")).Body;

    /// <summary>Another replica of the server, watching the same API; the caller disposes it.</summary>
    public async Task<ServerProcess> StartReplicaAsync()
    {
        var replica = ServerProcess.Start("--kubeconfig", Path.Combine(_directory.Path, "kubeconfig"), "--watch-silence-seconds", "2");
        await replica.WaitUntilReadyAsync();
        return replica;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Api.DisposeAsync();
        _directory.Dispose();
    }
}

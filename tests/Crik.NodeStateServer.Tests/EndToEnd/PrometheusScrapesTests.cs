using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>
/// End to end, as a platform engineer's Prometheus sees it: a real <c>prometheus</c> (Debian's package) scrapes the
/// NativeAOT crik and the real node-state-server on loopback every second, through a periodic checkpoint, a
/// checkpoint at SIGTERM on a node that shuts down, and a restore on the same metrics port; then every query of the
/// dashboard (examples/monitoring/crik-dashboard.json) is asked through Prometheus's HTTP API.
/// </summary>
public sealed partial class PrometheusScrapesTests : IDisposable
{
    private const string Script = "i=0; while :; do i=$((i+1)); echo \"count $i\"; sleep 0.2; done";

    /// <summary>What the dashboard reads that this run cannot have: a lazy restore's memory (this restore is eager).</summary>
    private static readonly string[] NotInThisRun = ["crik_restore_memory_all_in_seconds"];

    private readonly TempDirectory _dir = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    [PrometheusFact]
    public async Task PrometheusSeesCrikThroughACheckpointAndARestoreAndEveryDashboardQueryAnswers()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("worker-1"));
        await cluster.WaitForStateAsync("worker-1", "ready");
        int crikPort = FreePort.Get();
        string config = _dir.Write("config.yaml", $"imageDir: {Path.Combine(_dir.Path, "images")}\nnodeStateServerURL: {cluster.Server.Url}\n"
            + $"nodeStatePollInterval: 1s\ncheckpointInterval: 2s\nmetricsAddress: 127.0.0.1:{crikPort}\n");
        using Process prometheus = StartPrometheus(crikPort, cluster.Server.Port, out Uri api);
        try
        {
            await Poll.UntilAsync(async () => await ReadyAsync(api), "prometheus to be ready", TimeSpan.FromSeconds(60));
            using (CrikRun first = StartPod(config))
            {
                await UntilAsync(api, "max(crik_checkpoints_total{reason=\"periodic\",outcome=\"committed\"}) >= 1", first);
                await UntilAsync(api, "max(crik_node_state_queries_total{answer=\"ready\"}) >= 1", first);
                cluster.Nodes.Modify("worker-1", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted", "NoSchedule"));
                await cluster.WaitForStateAsync("worker-1", "shutting-down");
                first.Signal(Native.SIGTERM);
                Assert.True(first.WaitForExit(TimeSpan.FromSeconds(60)) == 0, first.Transcript);
            }
            // The next pod runs where nothing shuts down.
            cluster.Nodes.Modify("worker-1", FakeNode.RemoveTaints);
            await cluster.WaitForStateAsync("worker-1", "ready");
            using CrikRun second = StartPod(config);
            second.WaitForLine("Restored checkpoint", stderr: true);
            await UntilAsync(api, "max(crik_restores_total{mode=\"eager\",outcome=\"restored\"}) == 1 and max(crik_app_running) == 1", second);
            // The restored app's own checkpoints, as the first pod's went with it.
            await UntilAsync(api, "max(crik_checkpoints_total{outcome=\"committed\"}) >= 1", second);
            await UntilAsync(api, "max(node_state_server_ready) == 1", second);
            await EveryDashboardQueryAnswersAsync(api);
            second.Signal(Native.SIGKILL);
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
        }
    }

    /// <summary>Each expression as Grafana would send it (all namespaces, every pod, a 1 m rate interval) is accepted, and every series it reads is there.</summary>
    private async Task EveryDashboardQueryAnswersAsync(Uri api)
    {
        var expressions = new List<string>();
        Collect(JsonNode.Parse(File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "examples", "monitoring", "crik-dashboard.json"))), expressions);
        Assert.NotEmpty(expressions);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string expression in expressions)
        {
            string query = expression.Replace("$namespace", ".*", StringComparison.Ordinal).Replace("$pod", ".*", StringComparison.Ordinal)
                .Replace("$__rate_interval", "1m", StringComparison.Ordinal);
            await QueryAsync(api, query);
            names.UnionWith(SeriesName().Matches(query).Select(m => m.Value));
        }
        List<string> missing = [];
        foreach (string name in names.Except(NotInThisRun))
        {
            if ((await QueryAsync(api, $"count({{__name__=\"{name}\"}})")).Count == 0)
            {
                missing.Add(name);
            }
        }
        Assert.True(missing.Count == 0, $"the dashboard reads series Prometheus never scraped: {string.Join(", ", missing)}");
    }

    private static void Collect(JsonNode? node, List<string> expressions)
    {
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o)
            {
                if (key == "expr" && value is JsonValue v && v.TryGetValue(out string? expression))
                {
                    expressions.Add(expression);
                }
                else
                {
                    Collect(value, expressions);
                }
            }
        }
        else if (node is JsonArray a)
        {
            foreach (JsonNode? item in a)
            {
                Collect(item, expressions);
            }
        }
    }

    /// <summary>The instant query's result vector; fails the test when Prometheus does not accept it.</summary>
    private async Task<JsonArray> QueryAsync(Uri api, string query)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri(api, "/api/v1/query?query=" + Uri.EscapeDataString(query)));
        string body = await response.Content.ReadAsStringAsync();
        JsonNode answer = JsonNode.Parse(body)!;
        Assert.True((string?)answer["status"] == "success", $"Prometheus refused {query}: {body}");
        return answer["data"]!["result"] as JsonArray ?? [];
    }

    private async Task UntilAsync(Uri api, string query, CrikRun pod) =>
        await Poll.UntilAsync(async () => (await QueryAsync(api, query)).Count > 0, $"Prometheus to answer {query}", TimeSpan.FromSeconds(60),
            diagnostics: () => pod.Transcript);

    private async Task<bool> ReadyAsync(Uri api)
    {
        try
        {
            using HttpResponseMessage response = await _http.GetAsync(new Uri(api, "/-/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Prometheus on a free loopback port, scraping crik (labelled as a pod would be) and the node-state server every second, its data in a temporary directory.</summary>
    private Process StartPrometheus(int crikPort, int serverPort, out Uri api)
    {
        int port = FreePort.Get();
        api = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        string config = _dir.Write("prometheus.yml", $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: crik
                static_configs:
                  - targets: ["127.0.0.1:{crikPort}"]
                    labels:
                      namespace: shop
                      pod: web-0
              - job_name: node-state-server
                static_configs:
                  - targets: ["127.0.0.1:{serverPort}"]
            """);
        var info = new ProcessStartInfo(Prerequisites.FindOnPath("prometheus") ?? "/usr/bin/prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in (string[])[$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_dir.Path, "tsdb")}",
            $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--log.level=warn"])
        {
            info.ArgumentList.Add(arg);
        }
        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>crik as PID 1 of a pod on worker-1, as the downward API would name the node.</summary>
    private static CrikRun StartPod(string config) =>
        CrikRun.Start(["run", "--config", config, "--", "sh", "-c", Script],
            environment: new Dictionary<string, string> { ["KUBERNETES_NODE_NAME"] = "worker-1" });

    [GeneratedRegex(@"\b(?:crik|node_state_server|process)_[a-z_]+\b")]
    private static partial Regex SeriesName();
}

/// <summary>
/// Needs root and CRIU (a real checkpoint and restore), Debian's prometheus package, and the NativeAOT crik named in
/// CRIK_BIN, as CI has them; elsewhere the test says which is missing and skips. In CI (CI=true) it always runs.
/// </summary>
public sealed class PrometheusFactAttribute : FactAttribute
{
    public PrometheusFactAttribute()
    {
        if (Prerequisites.InCi)
        {
            return;
        }
        if (Prerequisites.MissingForCriu() is { } criu)
        {
            Skip = criu;
        }
        else if (Prerequisites.FindOnPath("prometheus") is null)
        {
            Skip = "needs prometheus on PATH (apt-get install prometheus; scripts/test.sh installs it)";
        }
        else if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CRIK_BIN")))
        {
            Skip = "needs the NativeAOT crik: publish it (dotnet publish src/Crik.Cli -c Release -r linux-x64 -p:PublishAot=true -o artifacts/aot/Crik.Cli) "
                + "and name it in CRIK_BIN, as CI does";
        }
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using Crik.Cli.Observing;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Observing;

/// <summary>
/// What a user sees in <c>kubectl describe pod</c> and Prometheus, through the real crik binary: a stand-in API
/// server over HTTPS records the Events and annotations, and /metrics is scraped over loopback.
/// </summary>
public sealed class ObservingTests : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly TempDirectory _dir = new();
    private StandInKubeApi _api = null!;

    public async Task InitializeAsync() => _api = await StandInKubeApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    [CriuFact]
    public async Task AFreshStartACheckpointAndARestoreAreEventsOnThePodAndFiguresInMetrics()
    {
        int port = FreePort.Get();
        using var pods = new Pods($"metricsAddress: 127.0.0.1:{port}\n");
        using (CrikRun first = pods.StartWith(PodEnvironment(), "sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 3");
            JsonObject fresh = Poll.Until(() => _api.EventsWith("StartedFresh").FirstOrDefault(), "a StartedFresh Event");
            Assert.StartsWith("Started the app fresh: no checkpoint to restore in ", (string?)fresh["message"], StringComparison.Ordinal);
            Assert.Equal(StandInKubeApi.PodUid, (string?)fresh["involvedObject"]!["uid"]);

            (int code, _, string error) = CrikCommand.Run(["checkpoint"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = first.ControlSocket });
            Assert.True(code == 0, error);
            Dictionary<string, double> running = await ScrapeAsync(port);
            Assert.Equal(1, running["crik_checkpoint_duration_seconds_count{reason=\"on_demand\",outcome=\"committed\"}"]);
            Assert.True(running["crik_checkpoint_size_bytes"] > 0);
            Assert.True(running["crik_checkpoint_written_bytes"] > 0);
            Assert.True(running["crik_checkpoint_last_success_timestamp_seconds"] > DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120);
            Assert.True(running.ContainsKey("crik_app_start_seconds{how=\"fresh\"}"));
            Assert.Equal(1, running["crik_lease_state{state=\"held\"}"]);

            Pods.CheckpointAndStop(first);
        }
        // Sent before crik exited: the SIGTERM's checkpoint is the Event that matters most.
        JsonObject atSigterm = Assert.Single(_api.EventsWith("Checkpointed"), e => ((string?)e["message"])!.StartsWith("Checkpoint 2 committed (SIGTERM)", StringComparison.Ordinal));
        Assert.Equal("Normal", (string?)atSigterm["type"]);
        Assert.Equal(("web-0", "shop"), ((string?)atSigterm["involvedObject"]!["name"], (string?)atSigterm["involvedObject"]!["namespace"]));
        Assert.Single(_api.EventsWith("Checkpointed"), e => ((string?)e["message"])!.StartsWith("Checkpoint 1 committed (on demand)", StringComparison.Ordinal));
        Assert.StartsWith("Checkpoint 2 committed (SIGTERM)", _api.Annotations[PodEventWriter.LastCheckpointAnnotation], StringComparison.Ordinal);

        using CrikRun second = pods.StartWith(PodEnvironment(), "sh", "-c", Pods.Counter());
        second.WaitForLine("Restored checkpoint 2 ", stderr: true);
        JsonObject restored = Poll.Until(() => _api.EventsWith("Restored").FirstOrDefault(), "a Restored Event");
        Assert.Matches(@"^Restored checkpoint 2 eagerly in \d+\.\d\d s; the app runs again as PID \d+, \d+\.\d\d s after crik started$", (string?)restored["message"]);
        // The annotation is patched right after the Event.
        Poll.Until(() => _api.Annotations[PodEventWriter.LastRestoreAnnotation].StartsWith("Restored checkpoint 2", StringComparison.Ordinal),
            "the last-restore annotation to name checkpoint 2");
        Dictionary<string, double> afterRestore = await ScrapeAsync(port);
        Assert.Equal(1, afterRestore["crik_restores_total{mode=\"eager\",outcome=\"restored\"}"]);
        Assert.Equal(1, afterRestore["crik_restore_duration_seconds_count{mode=\"eager\"}"]);
        Assert.True(afterRestore["crik_app_start_seconds{how=\"restored\"}"] > 0);
        Assert.Equal(0, afterRestore["crik_checkpoint_last_success_timestamp_seconds"]);
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WithoutRbacCrikSaysOnceWhatToGrantAndTheCheckpointIsCommitted()
    {
        _api.Forbidden = true;
        using var pods = new Pods();
        using CrikRun pod = pods.StartWith(PodEnvironment(), "sh", "-c", Pods.Counter());
        pod.WaitForLine("count 3");
        Pods.CheckpointAndStop(pod);
        string said = Assert.Single(pod.Stderr, l => l.Contains("Kubernetes sees no Events from crik", StringComparison.Ordinal));
        Assert.Contains("403", said, StringComparison.Ordinal);
        Assert.Contains("docs/observing.md", said, StringComparison.Ordinal);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
    }

    [CriuFact]
    public void AHangingApiServerChangesNothingOnTheSigtermPath()
    {
        _api.Hang = true;
        using var pods = new Pods();
        using CrikRun pod = pods.StartWith(PodEnvironment(), "sh", "-c", Pods.Counter());
        pod.WaitForLine("count 3");
        pod.Signal(Native.SIGTERM);
        pod.WaitForLine("committed", TimeSpan.FromSeconds(60), stderr: true);
        var afterCommit = Stopwatch.StartNew();
        Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.True(afterCommit.Elapsed < PodEventWriter.FlushTime + TimeSpan.FromSeconds(2),
            $"crik exited {afterCommit.Elapsed.TotalSeconds:0.0} s after the commit with a hanging API server\n{pod.Transcript}");
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.NotEmpty(_api.Requests);
    }

    [CriuFact]
    public async Task AnAppThatListensOnTheMetricsPortIsStillRestoredAndKeepsIt()
    {
        using var pods = new Pods();
        int port = FreePort.Get();
        string[] command = ["python3", Paths.App("http-counter.py"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), Path.Combine(pods.Root, "hits.log")];
        using (CrikRun first = pods.Start(command))
        {
            first.WaitForLine($"serving {port}");
            Pods.CheckpointAndStop(first);
        }
        // The port the checkpointed app listens on, now asked of crik too: the app gets it back, crik goes without metrics.
        File.AppendAllText(pods.ConfigPath, $"metricsAddress: 127.0.0.1:{port}\n");
        using CrikRun second = pods.Start(command);
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        second.WaitForLine($"Cannot serve metrics at 127.0.0.1:{port}", stderr: true);
        Assert.Equal("hits 1", (await _http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"))).Trim());
        Assert.Empty(pods.SetAside());
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void CheckpointsEverySecondWriteToTheApiServerAboutOnceAMinute()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        using (CrikRun pod = pods.StartWith(PodEnvironment(), "sh", "-c", Pods.Counter()))
        {
            Poll.Until(() => pod.Stderr.Count(l => l.Contains("committed", StringComparison.Ordinal)) >= 10, "ten periodic checkpoints", TimeSpan.FromSeconds(50));
            Pods.CheckpointAndStop(pod);
        }
        // Within the first write interval: each series is written once at its start and once at exit, the annotations likewise.
        List<string> requests = [.. _api.Requests];
        List<SeenEvent> checkpointed = [.. _api.EventsWith("Checkpointed").Select(e => new SeenEvent((string?)e["message"], (int?)e["count"]))];
        Assert.True(checkpointed.Count == 2, string.Join("\n", checkpointed));
        Assert.Contains(checkpointed, e => e.Message!.Contains("(SIGTERM)", StringComparison.Ordinal) && e.Count == 1);
        Assert.Contains(checkpointed, e => e.Message!.Contains("(periodic)", StringComparison.Ordinal) && e.Count >= 10);
        Assert.InRange(requests.Count(r => r.StartsWith("PATCH /api/v1/namespaces/shop/events/", StringComparison.Ordinal)), 1, 1);
        Assert.InRange(requests.Count(r => r.StartsWith("PATCH /api/v1/namespaces/shop/pods/", StringComparison.Ordinal)), 2, 2);
        Assert.StartsWith("Checkpoint ", _api.Annotations[PodEventWriter.LastCheckpointAnnotation], StringComparison.Ordinal);
        Assert.Contains("committed (SIGTERM)", _api.Annotations[PodEventWriter.LastCheckpointAnnotation], StringComparison.Ordinal);
    }

    private sealed record SeenEvent(string? Message, int? Count);

    [Fact]
    public void WhenCrikStartsNothingThePodsEventsSayWhy()
    {
        string config = Path.Combine(_dir.Path, "config.yaml");
        File.WriteAllText(config, "imageDir: /proc/crik-cannot-be-here\nlockWait: 1s\n");
        using var run = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", "echo app-ran"], asPid1: false, environment: PodEnvironment());
        Assert.Equal(125, run.WaitForExit());
        Assert.DoesNotContain("app-ran", run.Stdout);
        JsonObject notStarted = Assert.Single(_api.EventsWith("AppNotStarted"));
        Assert.Equal("Warning", (string?)notStarted["type"]);
        Assert.Contains("could not tell within lockWait (1 s) whether /proc/crik-cannot-be-here holds a checkpoint", (string?)notStarted["message"], StringComparison.Ordinal);
        Assert.Empty(_api.EventsWith("StartedFresh"));
    }

    [Fact]
    public async Task MetricsAreServedWhileCrikWaitsForItsStoreAndUntilItExitsHavingStartedNothing()
    {
        int port = FreePort.Get();
        string config = Path.Combine(_dir.Path, "config.yaml");
        File.WriteAllText(config, $"imageDir: /proc/crik-cannot-be-here\nlockWait: 4s\nmetricsAddress: 127.0.0.1:{port}\n");
        using var run = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", "echo app-ran"], asPid1: false);
        Dictionary<string, double>? waiting = null;
        await Poll.UntilAsync(async () =>
        {
            try
            {
                waiting = await ScrapeAsync(port);
                return waiting.GetValueOrDefault("crik_store_errors_total{backend=\"volume\",operation=\"lock\"}") >= 1;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "crik to serve /metrics, with the store's failed lock, while it waits for its store", TimeSpan.FromSeconds(3));
        Assert.Equal(0, waiting!["crik_app_running"]);
        Assert.Equal(125, run.WaitForExit());
        Assert.DoesNotContain("app-ran", run.Stdout);
        Assert.Contains(run.Stderr, l => l.Contains($"Serving Prometheus metrics at http://127.0.0.1:{port}/metrics", StringComparison.Ordinal));
    }

    [CriuFact]
    public void WithNoKubernetesApiCrikSaysNothingAboutIt()
    {
        using var pods = new Pods();
        using CrikRun pod = pods.Start("sh", "-c", Pods.Counter());
        pod.WaitForLine("count 3");
        Pods.CheckpointAndStop(pod);
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("Kubernetes", StringComparison.Ordinal) || l.Contains("Event", StringComparison.Ordinal));
        Assert.Empty(_api.Requests);
    }

    private Dictionary<string, string> PodEnvironment() => new()
    {
        ["KUBECONFIG"] = _api.WriteKubeconfig(_dir.Path),
        [PodIdentity.NameVariable] = "web-0",
        [PodIdentity.NamespaceVariable] = "shop",
    };

    private async Task<Dictionary<string, double>> ScrapeAsync(int port)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return MetricsTests.Parse(await response.Content.ReadAsStringAsync());
    }
}

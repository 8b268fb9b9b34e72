using System.Diagnostics;
using System.Text.Json.Nodes;
using Crik.Cli.Observing;
using Crik.Shared.Kubernetes;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Observing;

/// <summary>The Event writer against a stand-in API server over HTTPS, with a bearer token from a kubeconfig.</summary>
[Trait("Category", "Unit")]
public sealed class PodEventWriterTests : IAsyncLifetime
{
    private static readonly PodIdentity Pod = new("web-0", "shop", "node-a");
    private StandInKubeApi _api = null!;

    public async Task InitializeAsync()
    {
        _api = await StandInKubeApi.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
    }

    [Fact]
    public void ACommittedCheckpointIsANormalEventRegardingCriksOwnPod()
    {
        var log = new LogLines();
        using (PodEventWriter writer = Writer(log))
        {
            writer.On(new Happening.CheckpointCommitted(7, "sigterm", 512L << 20, 40L << 20, TimeSpan.FromSeconds(1.92), TimeSpan.FromSeconds(1.8)));
        }
        JsonObject e = Assert.Single(_api.EventsWith("Checkpointed"));
        Assert.Equal("Normal", (string?)e["type"]);
        Assert.Equal("Checkpoint 7 committed (SIGTERM): 512 MiB, 40 MiB written, in 1.92 s, the app frozen for 1.80 s", (string?)e["message"]);
        JsonNode involved = e["involvedObject"]!;
        Assert.Equal(("Pod", "web-0", "shop", StandInKubeApi.PodUid), ((string?)involved["kind"], (string?)involved["name"], (string?)involved["namespace"], (string?)involved["uid"]));
        Assert.Equal("crik", (string?)e["source"]!["component"]);
        Assert.Equal("node-a", (string?)e["source"]!["host"]);
        Assert.Equal("crik", (string?)e["reportingComponent"]);
        Assert.Equal("web-0", (string?)e["reportingInstance"]);
        Assert.Equal(1, (int?)e["count"]);
        Assert.Equal("shop", (string?)e["metadata"]!["namespace"]);
        Assert.StartsWith("web-0.", (string?)e["metadata"]!["name"], StringComparison.Ordinal);
        Assert.Contains("Checkpoint 7 committed", _api.Annotations[PodEventWriter.LastCheckpointAnnotation], StringComparison.Ordinal);
        Assert.Empty(log.Lines);
    }

    [Fact]
    public void TheSameEventAgainCountsUpTheFirstInsteadOfMakingAnother()
    {
        using (PodEventWriter writer = Writer(new LogLines()))
        {
            for (int i = 0; i < 3; i++)
            {
                writer.On(new Happening.WaitingForLock("/images", TimeSpan.FromSeconds(10 * i), TimeSpan.FromMinutes(1)));
            }
        }
        JsonObject e = Assert.Single(_api.EventsWith("WaitingForLock"));
        Assert.Equal(3, (int?)e["count"]);
        Assert.Equal("Warning", (string?)e["type"]);
        // Counted up once, at exit: within a minute of the first, the two after it are held back.
        Assert.Equal(1, _api.Requests.Count(r => r.StartsWith("PATCH /api/v1/namespaces/shop/events/", StringComparison.Ordinal)));
    }

    [Fact]
    public void CheckpointsEverySecondAreOneSeriesWrittenAtMostOncePerIntervalWithTheLatestAtExit()
    {
        // A checkpoint every 0.1 s for 4 s against a 1 s write interval: the same proportions as every second against a minute.
        TimeSpan interval = TimeSpan.FromSeconds(1);
        var clock = Stopwatch.StartNew();
        using (PodEventWriter writer = Writer(new LogLines(), interval))
        {
            writer.On(new Happening.StartedFresh("no checkpoint", TimeSpan.Zero));
            for (int generation = 1; generation <= 40; generation++)
            {
                writer.On(new Happening.CheckpointCommitted(generation, "periodic", 1, 1, TimeSpan.Zero, TimeSpan.Zero));
                writer.On(new Happening.CheckpointSkipped("periodic", "another crik holds /images/.lock"));
                Thread.Sleep(100);
            }
            writer.On(new Happening.CheckpointCommitted(41, "sigterm", 1, 1, TimeSpan.Zero, TimeSpan.Zero));
        }
        double intervals = clock.Elapsed / interval;
        List<JsonObject> checkpointed = _api.EventsWith("Checkpointed");
        Assert.Equal(2, checkpointed.Count);
        JsonObject periodic = Assert.Single(checkpointed, e => ((string?)e["message"])!.Contains("(periodic)", StringComparison.Ordinal));
        Assert.Equal(40, (int?)periodic["count"]);
        Assert.StartsWith("Checkpoint 40 committed (periodic)", (string?)periodic["message"], StringComparison.Ordinal);
        Assert.StartsWith("Checkpoint 41 committed (SIGTERM)", _api.Annotations[PodEventWriter.LastCheckpointAnnotation], StringComparison.Ordinal);
        // The Warning is never dropped: it is one series, counted in full.
        Assert.Equal(40, (int?)Assert.Single(_api.EventsWith("CheckpointSkipped"))["count"]);

        // Per series, one write per interval and one at exit; the annotations likewise.
        int seriesWrites = _api.Requests.Count(r => r.StartsWith("PATCH /api/v1/namespaces/shop/events/", StringComparison.Ordinal));
        int podWrites = _api.Requests.Count(r => r.StartsWith("PATCH /api/v1/namespaces/shop/pods/", StringComparison.Ordinal));
        Assert.InRange(seriesWrites, 2, 2 * (intervals + 2));
        Assert.InRange(podWrites, 2, intervals + 2);
        Assert.Equal(4, _api.Requests.Count(r => r.StartsWith("POST ", StringComparison.Ordinal)));
    }

    [Fact]
    public void ARestoreAndAFreshStartKeepTheLastRestoreAnnotation()
    {
        using (PodEventWriter writer = Writer(new LogLines()))
        {
            writer.On(new Happening.Restored(3, Lazily: true, TimeSpan.FromSeconds(0.41), TimeSpan.FromSeconds(0.52), 12));
        }
        Assert.Equal("Restored checkpoint 3 lazily in 0.41 s; the app runs again as PID 12, 0.52 s after crik started",
            (string?)Assert.Single(_api.EventsWith("Restored"))["message"]);
        Assert.Equal("Restored checkpoint 3 lazily in 0.41 s; the app runs again as PID 12, 0.52 s after crik started",
            _api.Annotations[PodEventWriter.LastRestoreAnnotation]);
    }

    [Fact]
    public void ARefusalIsSaidOnceWithWhatToGrantAndNothingMoreIsSent()
    {
        _api.Forbidden = true;
        var log = new LogLines();
        using (PodEventWriter writer = Writer(log))
        {
            writer.On(new Happening.StartedFresh("no checkpoint to restore in /images", TimeSpan.FromSeconds(0.1)));
            writer.On(new Happening.CheckpointSkipped("periodic", "another crik holds /images/.lock"));
            writer.On(new Happening.LeaseLost(12));
        }
        string said = Assert.Single(log.Lines);
        Assert.Contains("Kubernetes sees no Events from crik", said, StringComparison.Ordinal);
        Assert.Contains("403", said, StringComparison.Ordinal);
        Assert.Contains("create and patch on events and get and patch on pods in", said, StringComparison.Ordinal);
        Assert.Single(_api.Requests);
        Assert.Empty(_api.Events);
    }

    [Fact]
    public void APodCrikCannotFindIsSaidOnceWithTheVariablesToSet()
    {
        _api.PodMissing = true;
        var log = new LogLines();
        using (PodEventWriter writer = Writer(log))
        {
            writer.On(new Happening.StartedFresh("no checkpoint", TimeSpan.Zero));
            writer.On(new Happening.LeaseLost(12));
        }
        string said = Assert.Single(log.Lines);
        Assert.Contains("cannot find its Pod", said, StringComparison.Ordinal);
        Assert.Contains("POD_NAME and POD_NAMESPACE", said, StringComparison.Ordinal);
        Assert.Single(_api.Requests);
    }

    [Fact]
    public void AnAnswerThatIsNotAPodNeitherStopsTheWriterNorFailsCriksExit()
    {
        _api.PodIsNotAPod = true;
        var log = new LogLines();
        using (PodEventWriter writer = Writer(log))
        {
            writer.On(new Happening.StartedFresh("no checkpoint", TimeSpan.Zero));
            writer.On(new Happening.LeaseLost(12));
        }
        Assert.Equal(2, _api.Requests.Count(r => r.StartsWith("GET ", StringComparison.Ordinal)));
        Assert.Contains("Cannot write a pod Event", Assert.Single(log.Lines), StringComparison.Ordinal);
        Assert.Empty(_api.Events);
    }

    [Fact]
    public void AMessageLongerThanKubernetesTakesIsShortenedWithoutSplittingACharacter()
    {
        using (PodEventWriter writer = Writer(new LogLines()))
        {
            writer.On(new Happening.StartedFresh(new string('x', 977) + string.Concat(Enumerable.Repeat("😀", 100)), TimeSpan.Zero));
        }
        string message = (string)Assert.Single(_api.EventsWith("StartedFresh"))["message"]!;
        Assert.True(message.Length <= 1024, $"{message.Length} characters");
        Assert.EndsWith("...", message, StringComparison.Ordinal);
        Assert.False(char.IsHighSurrogate(message[^4]), "a surrogate pair was cut");
    }

    [Fact]
    public void ARoleWithoutPatchOnPodsStillGetsItsEvents()
    {
        _api.RefusePodPatches = true;
        var log = new LogLines();
        using (PodEventWriter writer = Writer(log))
        {
            writer.On(new Happening.CheckpointCommitted(1, "periodic", 1, 1, TimeSpan.Zero, TimeSpan.Zero));
            writer.On(new Happening.CheckpointCommitted(2, "sigterm", 1, 1, TimeSpan.Zero, TimeSpan.Zero));
        }
        Assert.Equal(2, _api.EventsWith("Checkpointed").Count);
        Assert.Empty(_api.Annotations);
        Assert.Contains("crik cannot annotate its Pod", Assert.Single(log.Lines), StringComparison.Ordinal);
        Assert.Single(_api.Requests, r => r.StartsWith("PATCH /api/v1/namespaces/shop/pods/", StringComparison.Ordinal));
    }

    [Fact]
    public void AHangingApiHoldsCriksExitForAtMostTheFlushTime()
    {
        _api.Hang = true;
        var log = new LogLines();
        var clock = Stopwatch.StartNew();
        PodEventWriter writer = Writer(log, flushTime: PodEventWriter.FlushTime);
        for (int i = 0; i < 100; i++)
        {
            writer.On(new Happening.CheckpointCommitted(i, "periodic", 1, 1, TimeSpan.Zero, TimeSpan.Zero)); // more than the queue holds: dropped, not blocking
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"publishing took {clock.Elapsed}");
        clock.Restart();
        writer.Dispose();
        Assert.True(clock.Elapsed < PodEventWriter.FlushTime + TimeSpan.FromSeconds(1), $"the exit waited {clock.Elapsed} for a hanging API");
        Assert.Empty(_api.Events);
    }

    [Fact]
    public void AnUnreachableApiIsSaidOnceAndLaterEventsAreStillTried()
    {
        var log = new LogLines();
        int port = FreePort.Get();
        var connection = new ClusterConnection(new Uri($"https://127.0.0.1:{port}"), [], false, null, BearerToken.Fixed(StandInKubeApi.Token), "test");
        using (var writer = new PodEventWriter(new KubeApiClient(KubeHttpClientFactory.Create(connection), connection), Pod, log.Logger))
        {
            writer.On(new Happening.StartedFresh("no checkpoint", TimeSpan.Zero));
            writer.On(new Happening.LeaseLost(12));
        }
        string said = Assert.Single(log.Lines);
        Assert.Contains("Cannot write a pod Event to the Kubernetes API", said, StringComparison.Ordinal);
    }

    /// <param name="flushTime">How long disposing waits for what is queued: long enough by default that a busy machine still
    /// sends it all, so that each test's outcome is what it checks, not how fast the first request was.</param>
    private PodEventWriter Writer(LogLines log, TimeSpan? writeInterval = null, TimeSpan? flushTime = null)
    {
        using var dir = new TempDirectory();
        ClusterConnection connection = KubeConfigFile.Load(_api.WriteKubeconfig(dir.Path));
        return new PodEventWriter(new KubeApiClient(KubeHttpClientFactory.Create(connection), connection), Pod, log.Logger, writeInterval, flushTime ?? TimeSpan.FromSeconds(30));
    }
}

using System.Text.Json.Nodes;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Observing;
using Crik.Cli.Tests.ObjectStorage;
using Crik.Cli.Tests.Observing;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// A lazily restored app and an image store in trouble (s3rver behind a proxy that fails, stalls or
/// damages the reads of the packs once the app runs again): half a minute of 503s or of reads that hang
/// is waited out with the app whole and the wait told of in the log, an Event and a metric; past
/// lazyStoreWait, or on a damaged chunk or a pack that is gone, the app is killed before it reads a page
/// that did not arrive, and its checkpoint is there for the next pod. The lease does not cut the wait short.
/// </summary>
public sealed class StoreOutageTests : IAsyncLifetime, IDisposable
{
    private const string AppMib = "128";
    private static readonly string[] App = ["python3", Paths.App("forking-memory.py"), AppMib];
    private readonly S3Server? _server = Prerequisites.InCi || (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is null ? new S3Server() : null;
    private readonly TempDirectory _dir = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private StandInKubeApi _api = null!;

    public async Task InitializeAsync() => _api = await StandInKubeApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose()
    {
        _server?.Dispose();
        _dir.Dispose();
        _http.Dispose();
    }

    [S3CriuFact]
    public async Task HalfAMinuteOf503sAndThenReadsThatHangAreWaitedOutWithTheAppWholeAndSaidOnceWhenTheStoreIsBack()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        int port = FreePort.Get();
        string config = Config("outage", $"metricsAddress: 127.0.0.1:{port}\n");
        CheckpointFreshApp(config, proxy);
        using ManualResetEventSlim down = PacksAnswer503While(proxy);
        using (CrikRun second = RestoreSlowly(config, proxy, generation: 1))
        {
            down.Set();
            ReleaseFill();
            second.WaitForLine("the image store stopped answering while the app's memory arrives (S3 GET ", TimeSpan.FromSeconds(30), stderr: true);
            await Task.Delay(TimeSpan.FromSeconds(16));
            Dictionary<string, double> waiting = await ScrapeAsync(port);
            Assert.True(waiting["crik_lazy_restore_store_waiting_seconds"] > 10, second.Transcript);
            await Task.Delay(TimeSpan.FromSeconds(16)); // 32 s of 503s in all
            Assert.DoesNotContain(second.Stderr, l => l.Contains("the app's memory is all in", StringComparison.Ordinal));
            down.Reset();

            AllInAndWhole(second);
            Assert.True(second.Stderr.Count(l => l.Contains("stopped answering", StringComparison.Ordinal)) == 1, second.Transcript);
            Assert.InRange(second.Stderr.Count(l => l.Contains("still waiting for the image store after", StringComparison.Ordinal)), 2, 4);
            Assert.Contains("503 SlowDown", Assert.Single(second.Stderr, l => l.Contains("the image store answers again after", StringComparison.Ordinal)), StringComparison.Ordinal);
            JsonObject waited = Assert.Single(_api.EventsWith("WaitingForStore"));
            Assert.Equal("Warning", (string?)waited["type"]);
            Assert.StartsWith("The image store stopped answering while checkpoint 1's memory arrives (S3 GET ", (string?)waited["message"], StringComparison.Ordinal);
            Poll.Until(() => _api.EventsWith("StoreAnswersAgain").SingleOrDefault(), "a StoreAnswersAgain Event");
            Dictionary<string, double> after = await ScrapeAsync(port);
            Assert.Equal(0, after["crik_lazy_restore_store_waiting_seconds"]);
            Assert.Equal(1, after["crik_lazy_restore_store_outages_total"]);
            Pods.CheckpointAndStopBetweenForks(second);
        }
        // Told at once and every 10 s, as one series, counted up at most once a minute and at crik's exit.
        Assert.InRange((int)Assert.Single(_api.EventsWith("WaitingForStore"))["count"]!, 3, 5);

        // Reads that hang rather than fail: each is cut and sent again until the store answers.
        using var hanging = new ManualResetEventSlim(false);
        proxy.BeforeForwarding = request =>
        {
            while (hanging.IsSet && request.Contains("/packs/", StringComparison.Ordinal))
            {
                Thread.Sleep(100);
            }
        };
        using CrikRun third = RestoreSlowly(config, proxy, generation: 2);
        hanging.Set();
        ReleaseFill();
        string began = third.WaitForLine("the image store stopped answering while the app's memory arrives", TimeSpan.FromSeconds(40), stderr: true);
        Assert.Contains("no answer", began, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(30));
        hanging.Reset();
        AllInAndWhole(third);
        Assert.True(third.Stderr.Count(l => l.Contains("the image store answers again after", StringComparison.Ordinal)) == 1, third.Transcript);
        third.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void AStoreDownForLongerThanLazyStoreWaitEndsThePodTheCheckpointStaysAndTheNextPodRestoresItWhole()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        string config = Config("patience", "lazyStoreWait: 8s\n");
        CheckpointFreshApp(config, proxy);
        using ManualResetEventSlim down = PacksAnswer503While(proxy);
        using (CrikRun second = RestoreSlowly(config, proxy, generation: 1))
        {
            down.Set();
            ReleaseFill();
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(90)));
            string why = Assert.Single(second.Stderr, l => l.Contains("the app's memory could not all be brought in", StringComparison.Ordinal));
            Assert.Contains("the image store did not answer for 8 s (lazyStoreWait); the last failure: S3 GET ", why, StringComparison.Ordinal);
            Assert.Contains("The checkpoint stays", why, StringComparison.Ordinal);
            Assert.DoesNotContain(second.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
            Assert.DoesNotContain(second.Stderr, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
        }
        down.Reset();
        proxy.Delay = TimeSpan.Zero;
        using CrikRun third = Start(config, proxy);
        third.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(120), stderr: true);
        AppIsWholeAgain(third);
        third.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// The whole store away, its lease too, for five leaseDurations while memory arrives: the app is frozen
    /// (the lease is in doubt), the fill waits as lazyStoreWait says, and once the store answers the lease is
    /// kept, the app thawed and its memory all in and whole. Before, the lease's loss killed it.
    /// </summary>
    [S3CriuFact]
    public void AWholeStoreDownForFiveLeaseDurationsWhileMemoryArrivesFreezesTheAppAndTheFillGoesOnAfter()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = Config("lease-outage", "");
        CheckpointFreshApp(config, proxy);
        // Only the restoring pod has a short lease: a busy machine's checkpoint must not cost the first pod its own.
        string shortLease = _dir.Write("lease-outage-short.yaml", File.ReadAllText(config) + "leaseDuration: 4s\n");
        using CrikRun second = RestoreSlowly(shortLease, proxy, generation: 1);
        int frozenBefore = second.Stderr.Count(l => l.Contains("is frozen until a renewal succeeds", StringComparison.Ordinal));
        proxy.Fail(int.MaxValue, 503);
        ReleaseFill();
        second.WaitForLine(_ => second.Stderr.Count(l => l.Contains("is frozen until a renewal succeeds", StringComparison.Ordinal)) > frozenBefore,
            TimeSpan.FromSeconds(30), stderr: true);
        Thread.Sleep(TimeSpan.FromSeconds(18));
        int keptBefore = second.Stderr.Count(l => l.Contains("crik renewed its lease after ", StringComparison.Ordinal));
        proxy.Fail(0, 503);

        second.WaitForLine(_ => second.Stderr.Count(l => l.Contains("crik renewed its lease after ", StringComparison.Ordinal)) > keptBefore,
            TimeSpan.FromSeconds(30), stderr: true);
        AllInAndWhole(second);
        Assert.DoesNotContain(second.Stderr, l => l.Contains("lost its lease", StringComparison.Ordinal));
        second.Signal(Native.SIGKILL);
    }

    [S3CriuTheory]
    [InlineData("damaged")]
    [InlineData("deleted")]
    public void AChunkDamagedOrAPackDeletedWhileMemoryArrivesEndsThePodAtOnceAsDocumented(string what)
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        string config = Config(what, "");
        CheckpointFreshApp(config, proxy);
        using (CrikRun second = RestoreSlowly(config, proxy, generation: 1))
        {
            if (what == "damaged")
            {
                proxy.Damage = request => request.StartsWith("GET", StringComparison.Ordinal) && request.Contains("/packs/", StringComparison.Ordinal);
            }
            else
            {
                S3Client objects = TestS3.Client(_server, _http);
                foreach (S3Object pack in objects.List($"apps/{what}/packs/"))
                {
                    objects.Delete(pack.Name);
                }
            }
            ReleaseFill();
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(60)));
            string why = Assert.Single(second.Stderr, l => l.Contains("the app's memory could not all be brought in", StringComparison.Ordinal));
            Assert.Contains(what == "damaged" ? "does not match its XXH3-64" : "is missing", why, StringComparison.Ordinal);
            Assert.DoesNotContain(second.Stderr, l => l.Contains("stopped answering", StringComparison.Ordinal)); // nothing to wait for
            Assert.DoesNotContain(second.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
        }
        proxy.Damage = _ => false;
        proxy.Delay = TimeSpan.Zero;
        using CrikRun third = Start(config, proxy);
        if (what == "damaged")
        {
            // The store's copy was whole all along: the next pod restores it, with all its memory checked first.
            third.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(120), stderr: true);
            AppIsWholeAgain(third);
        }
        else
        {
            // Its memory is gone: the checkpoint cannot be restored, is set aside with why, and the app starts fresh.
            third.WaitForLine("allocated " + AppMib, TimeSpan.FromSeconds(120));
            Assert.Contains(third.Stderr, l => l.Contains("set aside", StringComparison.Ordinal));
        }
        third.Signal(Native.SIGKILL);
    }

    /// <summary>Every read of a pack answers 503 SlowDown while the switch it returns is set.</summary>
    private static ManualResetEventSlim PacksAnswer503While(FaultyProxy proxy)
    {
        var down = new ManualResetEventSlim(false);
        proxy.Matches = (_, path) => down.IsSet && path.Contains("/packs/", StringComparison.Ordinal);
        proxy.Fail(int.MaxValue, 503);
        return down;
    }

    private void CheckpointFreshApp(string config, FaultyProxy proxy)
    {
        using CrikRun first = Start(config, proxy);
        first.WaitForLine("allocated " + AppMib, TimeSpan.FromSeconds(60));
        Pods.CheckpointAndStopBetweenForks(first);
    }

    /// <summary>
    /// A pod that restores lazily from a slow store (each request 200 ms late), its background fill held (no chunk filled) until
    /// <see cref="ReleaseFill"/>, so that its memory is still arriving when the test strikes, however fast the machine.
    /// </summary>
    private CrikRun RestoreSlowly(string config, FaultyProxy proxy, long generation)
    {
        proxy.Delay = TimeSpan.FromMilliseconds(200);
        File.WriteAllText(FillHold, "");
        CrikRun pod = Start(config, proxy, FillHold);
        string restored = pod.WaitForLine($"Restored checkpoint {generation} ", TimeSpan.FromSeconds(120), stderr: true);
        Assert.True(restored.Contains(", lazily (", StringComparison.Ordinal), pod.Transcript);
        return pod;
    }

    private static void AllInAndWhole(CrikRun pod)
    {
        pod.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(120), stderr: true);
        AppIsWholeAgain(pod);
    }

    /// <summary>A child forked from now on hashes all the app's memory: the digest taken before the first checkpoint.</summary>
    private static void AppIsWholeAgain(CrikRun pod)
    {
        int from = pod.Stdout.Count;
        pod.WaitForLine(_ => pod.Stdout.Skip(from).Any(l => l == "child intact yes"), TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(pod.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    private string Config(string name, string extra) =>
        _dir.Write($"{name}.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/{name}\nlazyRestore: on\n{extra}");

    /// <summary>Lets the fill of a pod from <see cref="RestoreSlowly"/> go on, once the test has struck.</summary>
    private void ReleaseFill() => File.Delete(FillHold);

    private string FillHold => Path.Combine(_dir.Path, "fill-held");

    private CrikRun Start(string config, FaultyProxy proxy, string? fillHold = null)
    {
        Dictionary<string, string> environment = _server!.Environment(proxy.Endpoint);
        if (fillHold is not null)
        {
            environment["CRIK_TEST_FILL_HOLD_FILE"] = fillHold;
        }
        environment["TMPDIR"] = Directory.CreateDirectory(Path.Combine(_dir.Path, "tmp")).FullName;
        environment["KUBECONFIG"] = _api.WriteKubeconfig(_dir.Path);
        environment[PodIdentity.NameVariable] = "web-0";
        environment[PodIdentity.NamespaceVariable] = "shop";
        return CrikRun.Start(["run", "--config", config, "--", .. App], environment: environment);
    }

    private async Task<Dictionary<string, double>> ScrapeAsync(int port)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        return MetricsTests.Parse(await response.Content.ReadAsStringAsync());
    }
}

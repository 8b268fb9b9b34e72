using System.Security.Cryptography;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>
/// <c>imageDir: s3://…</c>: pods checkpoint to and restore from s3rver on loopback, with nothing of
/// the images on the node's disk beyond crik's scratch directory for the dump (a socket and CRIU's log).
/// </summary>
[Collection(PodsKilledMidDump.Name)]
public sealed class ObjectStorageCheckpointTests : IDisposable
{
    private static readonly string[] App = ["python3", Paths.App("chunky-memory.py"), "24"];
    private readonly S3Server? _server = Prerequisites.InCi || (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is null ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly TempDirectory _dir = new();

    [S3CriuFact]
    public void ThreePodsCheckpointToAndRestoreFromObjectStorageThroughFailuresWithEncryptedCompressedImages()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        string key = _dir.Write("key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/chunky\nencryptionKeyFile: {key}\ncompression: zstd\n"
            + $"additionalPaths: [{_dir.Path}/data]\n");
        Directory.CreateDirectory(Path.Combine(_dir.Path, "data"));
        File.WriteAllText(Path.Combine(_dir.Path, "data", "notes.txt"), "kept across pods");
        S3Client s3 = TestS3.Client(_server, _http, "apps/chunky/");

        using (CrikRun first = Start(config, proxy.Endpoint))
        {
            first.WaitForLine("allocated 24", TimeSpan.FromSeconds(60));
            proxy.Fail(3, 503); // the store throttles the first requests of the checkpoint
            Pods.CheckpointAndStop(first);
        }
        Assert.Contains(s3.List(""), o => o.Name == "checkpoint-000001/manifest.json");
        Assert.Contains(s3.List(""), o => o.Name == "checkpoint-000001/manifest.hmac");
        Assert.Contains(s3.List(""), o => o.Name == "packs/000001.pack" && o.Size > 1 << 20);
        Assert.Contains(s3.List(""), o => o.Name.StartsWith("logs/dump-000001", StringComparison.Ordinal));
        Assert.True(proxy.Seen.Count(r => r.StartsWith("PUT", StringComparison.Ordinal)) >= 2, string.Join('\n', proxy.Seen));
        NoScratchLeft();

        File.Delete(Path.Combine(_dir.Path, "data", "notes.txt"));
        using (CrikRun second = Start(config, proxy.Endpoint))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            AppIsWhole(second);
            Assert.Equal("kept across pods", File.ReadAllText(Path.Combine(_dir.Path, "data", "notes.txt")));
            Pods.CheckpointAndStop(second);
        }
        Assert.Contains(s3.List(""), o => o.Name == "checkpoint-000002/manifest.json");
        Assert.Contains(s3.List(""), o => o.Name == "checkpoint-000001/manifest.json"); // keepCheckpoints: 2, restored or not
        Assert.DoesNotContain(s3.List(""), o => o.Name.StartsWith("retired/", StringComparison.Ordinal));
        (int code, string listing, string error) = CrikCommand.Run(["images", "--config", config, "--verify"], _server.Environment());
        Assert.True(code == 0, error);
        Assert.Matches(@"(?m)^2\s+committed\s.*zstd, encrypted \(\w{8}\)\s+1,2\s.*\sok\s+python3 ", listing);
        long firstPack = s3.TryGetLength("packs/000001.pack") ?? 0, secondPack = s3.TryGetLength("packs/000002.pack") ?? 0;
        Assert.True(secondPack * 4 < firstPack, $"the second checkpoint uploaded {secondPack} bytes, the first {firstPack}: unchanged chunks are not uploaded again");

        using (CrikRun third = Start(config, _server.Endpoint))
        {
            third.WaitForLine("Restored checkpoint 2 ", stderr: true);
            AppIsWhole(third);
            NoScratchLeft();
            Assert.Contains(s3.List(""), o => o.Name == "checkpoint-000002/manifest.json");
            third.Signal(Native.SIGKILL); // the node is lost without a SIGTERM: no new checkpoint
            third.WaitForExit();
        }
        // The pod that restored generation 2 died without a checkpoint: the next one resumes from it again.
        using CrikRun fourth = Start(config, _server.Endpoint);
        fourth.WaitForLine("Resuming checkpoint 2 again", stderr: true);
        fourth.WaitForLine("Restored checkpoint 2 ", stderr: true);
        AppIsWhole(fourth);
        fourth.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void AGenerationWhosePackIsMissingIsSetAsideWithItsReasonAndTheOlderOneIsRestored()
    {
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/missing\ncheckpointInterval: 1s\nkeepCheckpoints: 2\n");
        using (CrikRun first = Start(config, _server!.Endpoint, "sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("Checkpoint 2 committed", TimeSpan.FromSeconds(60), stderr: true);
            first.Signal(Native.SIGKILL);
            first.WaitForExit();
        }
        S3Client s3 = TestS3.Client(_server, _http, "apps/missing/");
        s3.Delete("packs/000002.pack");

        using CrikRun second = Start(config, _server.Endpoint, "sh", "-c", Pods.Counter());
        string warning = second.WaitForLine("cannot be restored", stderr: true);
        Assert.Contains("packs/000002.pack, which is missing", warning, StringComparison.Ordinal);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        Assert.True(Pods.Counts(second)[0] > 0, second.Transcript);
        S3Object reason = Assert.Single(s3.List("set-aside/"), o => o.Name.EndsWith("/SET-ASIDE-REASON.txt", StringComparison.Ordinal));
        Assert.Contains("packs/000002.pack, which is missing", System.Text.Encoding.UTF8.GetString(s3.TryGet(reason.Name)!), StringComparison.Ordinal);
        Assert.Contains(s3.List("set-aside/"), o => o.Name == reason.Name.Replace("SET-ASIDE-REASON.txt", "manifest.json", StringComparison.Ordinal));
        second.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void APodKilledWhileItsCheckpointUploadsLeavesThePreviousGenerationRestorable()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/killed\ncheckpointInterval: 2s\n");
        using (CrikRun first = Start(config, proxy.Endpoint, "sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("Checkpoint 1 committed", TimeSpan.FromSeconds(60), stderr: true);
            proxy.Delay = TimeSpan.FromSeconds(2);
            Poll.Until(() => proxy.Seen.Any(r => r.Contains("/packs/000002.pack", StringComparison.Ordinal)), "the upload of checkpoint 2's pack");
            first.Signal(Native.SIGKILL); // the node is gone mid-upload
            first.WaitForExit();
        }
        S3Client s3 = TestS3.Client(_server, _http, "apps/killed/");
        Assert.DoesNotContain(s3.List(""), o => o.Name.StartsWith("checkpoint-000002/", StringComparison.Ordinal));
        Assert.NotNull(s3.TryGet(".lock")); // the dead pod's lease, which nobody renews any more

        proxy.Delay = TimeSpan.Zero;
        using CrikRun second = Start(config, proxy.Endpoint, "sh", "-c", Pods.Counter());
        second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        Assert.True(Pods.Counts(second)[0] > 0, second.Transcript);
        second.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void ANewPodWaitsForTheOldPodsCheckpointToCommitAndRestoresIt()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true, Delay = TimeSpan.FromMilliseconds(300) };
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/rollout\n");
        using CrikRun old = Start(config, proxy.Endpoint, "sh", "-c", Pods.Counter());
        old.WaitForLine("count 3", TimeSpan.FromSeconds(60));
        old.Signal(Native.SIGTERM);
        old.WaitForLine("Checkpointing the app", stderr: true);

        // The new pod starts while the old one still uploads: it waits for the old pod's lease.
        using CrikRun fresh = Start(config, proxy.Endpoint, "sh", "-c", Pods.Counter());
        Assert.Equal(0, old.WaitForExit(TimeSpan.FromSeconds(60)));
        old.WaitForLine("Checkpoint 1 committed", stderr: true);
        fresh.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        fresh.WaitForLine(_ => Pods.Counts(fresh).Count >= 2);
        Assert.True(Pods.Counts(fresh)[0] > 3, fresh.Transcript);
        fresh.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void AStoreThatStopsAnsweringAtSigtermStillLetsTheAppHaveItsSigtermWithinTheBudget()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        using CrikRun pod = StartAppThatExitsOnSigterm(proxy, "apps/hung", budget: "4s", timeout: "3s");
        proxy.Delay = TimeSpan.FromMinutes(5); // every request hangs from now on
        var clock = System.Diagnostics.Stopwatch.StartNew();
        pod.Signal(Native.SIGTERM);
        pod.WaitForLine("app-got-term", TimeSpan.FromSeconds(20));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"the app got its SIGTERM {clock.Elapsed.TotalSeconds:0.0} s after crik's (budget 4 s)\n{pod.Transcript}");
        Assert.Equal(9, pod.WaitForExit());
        Assert.Contains(pod.Stderr, l => l.Contains("ran out", StringComparison.Ordinal) || l.Contains("no answer within", StringComparison.Ordinal));
    }

    /// <summary>
    /// The store stops answering right after <paramref name="lastAnswered"/>: every request after it
    /// hangs, the failed checkpoint's clean-up included (CRIU's log, the lease's release: about 5 s).
    /// </summary>
    [S3CriuTheory]
    [InlineData(null, "Not checkpointing")]             // the lease is held since the start; listing the prefix hangs
    [InlineData("list-type=2", "Checkpoint 1 failed")] // the prefix is listed; the pack's upload hangs
    public void AStoreThatStopsAnsweringMidCheckpointHoldsTheAppsSigtermOnlyUntilTheBudgetNotThroughTheCleanUp(string? lastAnswered, string failure)
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        using CrikRun pod = StartAppThatExitsOnSigterm(proxy, "apps/hung-mid-dump", budget: "3s", timeout: "2s");
        proxy.BeforeForwarding = request =>
        {
            if (lastAnswered is not null && request.Contains(lastAnswered, StringComparison.Ordinal))
            {
                proxy.Delay = TimeSpan.FromMinutes(5);
            }
        };
        if (lastAnswered is null)
        {
            proxy.Delay = TimeSpan.FromMinutes(5);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        pod.Signal(Native.SIGTERM);
        pod.WaitForLine("app-got-term", TimeSpan.FromSeconds(20));
        TimeSpan appGotTerm = clock.Elapsed;
        Assert.Equal(9, pod.WaitForExit());
        // The SIGTERM goes to the app before the failure is logged and the clean-up begins.
        List<string> stderr = [.. pod.Stderr];
        int forwarded = stderr.FindIndex(l => l.Contains("Forwarded SIGTERM", StringComparison.Ordinal));
        int failed = stderr.FindIndex(l => l.Contains(failure, StringComparison.Ordinal));
        Assert.True(forwarded >= 0 && failed > forwarded, pod.Transcript);
        Assert.Single(pod.Stderr, l => l.Contains("Forwarded SIGTERM", StringComparison.Ordinal));
        Assert.True(appGotTerm < TimeSpan.FromSeconds(8), $"the app got its SIGTERM {appGotTerm.TotalSeconds:0.0} s after crik's (budget 3 s)\n{pod.Transcript}");
    }

    [S3CriuFact]
    public void AManifestTheStoreKeptThoughItsAnswerWasLostIsACommitSoTheAppDoesNotAlsoRunOn()
    {
        // The store writes the manifest and the connection drops before its answer, every time.
        using var proxy = new FaultyProxy(_server!.Endpoint)
        {
            DropAnswers = r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/checkpoint-000001/manifest.json", StringComparison.Ordinal),
        };
        using (CrikRun pod = StartAppThatExitsOnSigterm(proxy, "apps/lost-answer", budget: "30s", timeout: "20s"))
        {
            pod.Signal(Native.SIGTERM);
            Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Contains(pod.Stderr, l => l.Contains("was lost", StringComparison.Ordinal) && l.Contains("the store holds it", StringComparison.Ordinal));
            Assert.DoesNotContain(pod.Stdout, l => l.Contains("app-got-term", StringComparison.Ordinal)); // it did not run on to its end
        }
        proxy.DropAnswers = _ => false;
        using CrikRun next = Start(Path.Combine(_dir.Path, "config.yaml"), proxy.Endpoint, "sh", "-c", "trap 'echo app-got-term; exit 9' TERM; while :; do sleep 0.1; done");
        next.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        next.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// The manifest's first PUT loses its connection while the store still works on it, and S3 answers the PUT sent again 409
    /// (another conditional write to the object under way): that write is crik's own, and the checkpoint is committed, not
    /// taken as another crik's.
    /// </summary>
    [S3CriuFact]
    public void AManifestWhoseFirstWriteIsStillUnderWayWhenItIsSentAgainIsACommit()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true, ConflictWhileUnderWay = true };
        int puts = 0;
        proxy.StillUnderWay = r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/checkpoint-000001/manifest.json", StringComparison.Ordinal)
            && Interlocked.Increment(ref puts) == 1 ? Until(() => proxy.Conflicts > 0) : null;
        using (CrikRun pod = StartAppThatExitsOnSigterm(proxy, "apps/under-way", budget: "30s", timeout: "20s"))
        {
            pod.Signal(Native.SIGTERM);
            Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.True(proxy.Conflicts > 0, "no PUT met the first under way\n" + pod.Transcript);
            Assert.Contains(pod.Stderr, l => l.Contains("was lost", StringComparison.Ordinal) && l.Contains("the store holds it", StringComparison.Ordinal));
            Assert.DoesNotContain(pod.Stdout, l => l.Contains("app-got-term", StringComparison.Ordinal));
        }
        proxy.StillUnderWay = _ => null;
        using CrikRun next = Start(Path.Combine(_dir.Path, "config.yaml"), proxy.Endpoint, "sh", "-c", "trap 'echo app-got-term; exit 9' TERM; while :; do sleep 0.1; done");
        next.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        next.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// Each write of the manifest loses its connection while the store still works on it, and the store cannot say whether it
    /// has the manifest: crik counts the checkpoint as committed, and its clean-up, whose listing does not show the manifest
    /// yet, keeps the checkpoint's pack. Before, the pack was deleted as nobody's, the manifest landed after it, and the next
    /// pod set the checkpoint aside and started the app fresh.
    /// </summary>
    [S3CriuFact]
    public void APackWhoseManifestLandsAfterTheCleanUpListedTheStoreIsKept()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        var landing = new TaskCompletionSource();
        const string Manifest = "/checkpoint-000001/manifest.json";
        proxy.StillUnderWay = r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains(Manifest, StringComparison.Ordinal) ? landing.Task : null;
        proxy.Matches = (method, path) => method != "PUT" && path.EndsWith(Manifest, StringComparison.Ordinal);
        proxy.Fail(int.MaxValue, 503);
        using (CrikRun pod = StartAppThatExitsOnSigterm(proxy, "apps/lands-late", budget: "30s", timeout: "20s"))
        {
            pod.Signal(Native.SIGTERM);
            Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Contains(pod.Stderr, l => l.Contains("cannot tell whether the store holds the manifest", StringComparison.Ordinal));
        }
        landing.SetResult();
        S3Client s3 = TestS3.Client(_server, _http, "apps/lands-late/");
        Poll.Until(() => s3.List("").Any(o => o.Name == "checkpoint-000001/manifest.json"), "the manifest to land");
        Assert.Contains(s3.List(""), o => o.Name == "packs/000001.pack");
        proxy.Fail(0, 503);
        using CrikRun next = Start(Path.Combine(_dir.Path, "config.yaml"), proxy.Endpoint, "sh", "-c", "trap 'echo app-got-term; exit 9' TERM; while :; do sleep 0.1; done");
        next.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        next.Signal(Native.SIGKILL);
    }

    private static async Task Until(Func<bool> holds)
    {
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); !holds() && waited.Elapsed < TimeSpan.FromSeconds(30);)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    [S3CriuFact]
    public void AManifestCrikCannotTellTheStoreKeptIsTakenAsACommitSoTheAppNeverRunsTwice()
    {
        // The store keeps the manifest, drops its answer, and from then on answers nothing (not even whether it has it).
        using var proxy = new FaultyProxy(_server!.Endpoint);
        proxy.DropAnswers = r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/checkpoint-000001/manifest.json", StringComparison.Ordinal);
        proxy.BeforeForwarding = r =>
        {
            if (proxy.DropAnswers(r))
            {
                proxy.Delay = TimeSpan.FromMinutes(5);
            }
        };
        using (CrikRun pod = StartAppThatExitsOnSigterm(proxy, "apps/unknown-answer", budget: "5s", timeout: "4s"))
        {
            pod.Signal(Native.SIGTERM);
            Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Contains(pod.Stderr, l => l.Contains("cannot tell whether the store holds the manifest", StringComparison.Ordinal));
            Assert.DoesNotContain(pod.Stdout, l => l.Contains("app-got-term", StringComparison.Ordinal));
        }
        proxy.BeforeForwarding = _ => { };
        proxy.DropAnswers = _ => false;
        proxy.Delay = TimeSpan.Zero;
        using CrikRun next = Start(Path.Combine(_dir.Path, "config.yaml"), proxy.Endpoint, "sh", "-c", "trap 'echo app-got-term; exit 9' TERM; while :; do sleep 0.1; done");
        next.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        next.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void AStoreThatHangsAtStartHoldsThePodOnlyForTheLockWaitThenItExits125WithoutStartingTheApp()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { Delay = TimeSpan.FromMinutes(5) };
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/hung-at-start\ncheckpointBudget: 4s\ncheckpointTimeout: 3s\nlockWait: 5s\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using CrikRun pod = Start(config, proxy.Endpoint, "sh", "-c", Pods.Counter());
        Assert.Equal(125, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        // lockWait (5 s) and 10 s more for a request already on its way: not minutes of retries.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"crik gave up {clock.Elapsed.TotalSeconds:0} s after it started");
        Assert.Contains("ran out", Assert.Single(pod.Stderr, l => l.Contains("could not tell within lockWait", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Empty(Pods.Counts(pod));
    }

    [S3CriuFact]
    public void AStoreThatCannotBeReachedStartsTheAppFreshOnlyWithOnStoreUnavailableStartAndSaysWhatThatGivesUp()
    {
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/unreachable\nonStoreUnavailable: start\n");
        using CrikRun pod = Start(config, $"http://127.0.0.1:{FreePort.Get()}", "sh", "-c", Pods.Counter());
        string warning = pod.WaitForLine("starting the app fresh", TimeSpan.FromSeconds(60), stderr: true);
        Assert.True(warning.Contains("S3 PUT s3://crik-test/apps/unreachable/.lock failed 6 times: Connection refused", StringComparison.Ordinal), warning);
        Assert.Contains("onStoreUnavailable: start", warning, StringComparison.Ordinal);
        Assert.Contains("gives up the work in any checkpoint there and the promise of one live copy", warning, StringComparison.Ordinal);
        pod.WaitForLine(_ => Pods.Counts(pod).Count >= 2);
        Assert.Equal(0, Pods.Counts(pod)[0]);
        pod.Signal(Native.SIGKILL);
    }

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
        _server?.Dispose();
    }

    /// <summary>A started pod, on the store through <paramref name="proxy"/>, whose app prints app-got-term and exits 9 on SIGTERM.</summary>
    private CrikRun StartAppThatExitsOnSigterm(FaultyProxy proxy, string prefix, string budget, string timeout)
    {
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/{prefix}\ncheckpointBudget: {budget}\ncheckpointTimeout: {timeout}\n");
        CrikRun pod = Start(config, proxy.Endpoint, "sh", "-c", "trap 'echo app-got-term; exit 9' TERM; while :; do sleep 0.1; done");
        try
        {
            pod.WaitForLine("Started", TimeSpan.FromSeconds(60), stderr: true);
            return pod;
        }
        catch
        {
            pod.Dispose();
            throw;
        }
    }

    /// <summary>This class's pods keep their scratch directories here (TMPDIR), so other tests' scratch is never counted as theirs.</summary>
    private string Temporary => Directory.CreateDirectory(Path.Combine(_dir.Path, "tmp")).FullName;

    private CrikRun Start(string config, string endpoint, params string[] command)
    {
        Dictionary<string, string> environment = _server!.Environment(endpoint);
        environment["TMPDIR"] = Temporary;
        return CrikRun.Start(["run", "--config", config, "--", .. command.Length == 0 ? App : command], environment: environment);
    }

    private static void AppIsWhole(CrikRun pod)
    {
        int from = pod.Stdout.Count;
        pod.WaitForLine(_ => pod.Stdout.Skip(from).Any(l => l.StartsWith("intact ", StringComparison.Ordinal)), TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(pod.Stdout, l => l == "intact no");
        Assert.True(Pods.Counts(pod)[0] > 0, pod.Transcript);
    }

    /// <summary>crik's scratch directories for dumps and restores are gone once each has ended.</summary>
    private void NoScratchLeft() =>
        Assert.Empty(Directory.GetDirectories(Temporary, "crik-dump-*").Concat(Directory.GetDirectories(Temporary, "crik-restore-*")));
}

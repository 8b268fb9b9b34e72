using Crik.Cli.Tests.ObjectStorage;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// A SIGTERM while a lazily restored app's memory is still arriving: the checkpoint does not wait for
/// the memory. The pages crik has not filled come from the checkpoint restored, by its chunks; what
/// the app wrote, dropped (MADV_DONTNEED) or moved (mremap) since is as the app left it. Across a
/// chain (restore, change, SIGTERM at once, twice over, with only one checkpoint kept), the app's
/// memory checks out against the digests it keeps, from a volume and from object storage. The fill goes
/// on once the images are put together: each commit waits until it has copied something
/// (CRIK_TEST_COMMIT_AFTER_FILL_MS), as a commit that takes its time gives it time to.
/// </summary>
public sealed class CheckpointWhileArrivingTests : IDisposable
{
    private const string AppMib = "128";
    private const string NotWaited = "not waited for";
    private const string FilledMeanwhile = "filled between the images' assembly and the commit";
    private const string CommitAfterFill = "CRIK_TEST_COMMIT_AFTER_FILL_MS", LongEnough = "20000";
    private static readonly string[] App = ["python3", Paths.App("arriving-memory.py"), AppMib];
    private readonly TempDirectory _dir = new();
    private S3Server? _server;

    [CriuFact]
    public void FromAVolumeTheChainOfCheckpointsTakenWhileMemoryArrivesKeepsEveryPage()
    {
        using var pods = new Pods("lazyRestore: on\nkeepCheckpoints: 1\n");
        string hold = Path.Combine(pods.Root, "fill-held");
        // The background fill pauses before each chunk once the test lets it go: most of the memory is still to come.
        var slowly = new Dictionary<string, string> { ["CRIK_TEST_FILL_PACE_MS"] = "40", ["CRIK_TEST_FILL_HOLD_FILE"] = hold, [CommitAfterFill] = LongEnough };
        Chain(() => pods.StartWith(slowly, App), hold);
    }

    [S3CriuFact]
    public void FromObjectStorageTheChainOfCheckpointsTakenWhileMemoryArrivesKeepsEveryPage()
    {
        _server = new S3Server();
        using var proxy = new FaultyProxy(_server.Endpoint);
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/arriving\nlazyRestore: on\nkeepCheckpoints: 1\n");
        string hold = Path.Combine(_dir.Path, "fill-held");
        // Reads of the packs are slow (the fill's and the checkpoint's alike): most of the memory is still to come when the SIGTERM comes.
        proxy.BeforeForwarding = request =>
        {
            if (request.StartsWith("GET", StringComparison.Ordinal) && request.Contains("/packs/", StringComparison.Ordinal))
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(150));
            }
        };
        Chain(() =>
        {
            Dictionary<string, string> environment = _server.Environment(proxy.Endpoint);
            environment["TMPDIR"] = Directory.CreateDirectory(Path.Combine(_dir.Path, "tmp")).FullName;
            environment["CRIK_TEST_FILL_HOLD_FILE"] = hold;
            environment[CommitAfterFill] = LongEnough;
            return CrikRun.Start(["run", "--config", config, "--", .. App], environment: environment);
        }, hold);
    }

    /// <summary>
    /// The last pages a process missed arrive while the SIGTERM's dump has the app stopped: after CRIU looked at its memory,
    /// before the images are made whole. They come from the checkpoint restored, as every page the dump did not find does.
    /// Before, the process's memory was all in by then, crik let go of it, and the images were made whole without it: the
    /// next restore gave it zeros where those pages were.
    /// </summary>
    [CriuFact]
    public void PagesThatArriveWhileTheDumpHasTheAppStoppedAreKept()
    {
        using var pods = new Pods("lazyRestore: on\n");
        // An app that touches none of its memory while it sleeps: the fill alone brings its memory in.
        string[] app = ["python3", "-c", "import signal, time\nsignal.signal(signal.SIGUSR1, lambda *_: print('awake', flush=True))\nprint('asleep', flush=True)\nwhile True: time.sleep(1000)"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("asleep", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(first);
        }
        string fillHold = Path.Combine(pods.Root, "fill-held"), copyHold = Path.Combine(pods.Root, "copies-held");
        File.WriteAllText(fillHold, "");
        var held = new Dictionary<string, string>
        {
            ["CRIK_TEST_FILL_HOLD_FILE"] = fillHold,
            ["CRIK_TEST_COPY_HOLD_FILE"] = copyHold,
            ["CRIK_TEST_MIDFILL_PAUSE_MS"] = "3000",
        };
        using (CrikRun pod = pods.StartWith(held, app))
        {
            pod.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(90), stderr: true);
            File.WriteAllText(copyHold, "");
            File.Delete(fillHold);
            pod.WaitForLine("a copy waits while CRIK_TEST_COPY_HOLD_FILE exists", TimeSpan.FromSeconds(30), stderr: true);
            Pods.CheckpointAndStop(pod, meanwhile: () =>
            {
                pod.WaitForLine("at CRIK_TEST_MIDFILL_PAUSE_MS", TimeSpan.FromSeconds(60), stderr: true);
                File.Delete(copyHold);
            });
            string taken = pod.WaitForLine(NotWaited, stderr: true);
            Assert.Contains("as checkpoint 1 has it", taken, StringComparison.Ordinal);
            Assert.DoesNotContain(": 0 B of it", taken, StringComparison.Ordinal);
        }
        using CrikRun last = pods.Start(app);
        last.WaitForLine("Restored checkpoint 2 ", TimeSpan.FromSeconds(90), stderr: true);
        last.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(60), stderr: true);
        last.Signal(Native.SIGUSR1);
        last.WaitForLine("awake", TimeSpan.FromSeconds(30));
        Pods.CheckpointAndStop(last);
    }

    /// <summary>
    /// crik checkpoint while a generation's memory arrives, under a new key (the checkpoint stores every page anew and uses none
    /// of that generation's packs) and with keepCheckpoints: 1: its commit retires the generation restored, but that generation's
    /// pack stays until the fill is done, and the app's memory all comes in whole. Before, the pack was deleted at the commit, the
    /// fill's next read found none, and the app was killed.
    /// </summary>
    [S3CriuFact]
    public void APackTheFillStillReadsStaysWhenACheckpointRetiresItsGeneration()
    {
        _server = new S3Server();
        string settings = $"imageDir: s3://{S3Server.Bucket}/apps/rotated\nlazyRestore: on\nkeepCheckpoints: 1\n";
        string oldKey = _dir.Write("old.key", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        string newKey = _dir.Write("new.key", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        string hold = Path.Combine(_dir.Path, "fill-held");
        using (CrikRun first = StartFromObjectStorage(_dir.Write("old.yaml", settings + $"encryptionKeyFile: {oldKey}\n"), hold))
        {
            first.WaitForLine("allocated " + AppMib, TimeSpan.FromSeconds(90));
            Pods.CheckpointAndStop(first);
        }
        File.WriteAllText(hold, "");
        using CrikRun second = StartFromObjectStorage(_dir.Write("new.yaml", settings + $"encryptionKeyFile: {newKey}\npreviousEncryptionKeyFile: {oldKey}\n"), hold);
        Assert.Contains(", lazily (", second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(90), stderr: true), StringComparison.Ordinal);
        second.WaitForLine("changed 1", TimeSpan.FromSeconds(90));
        Pods.CheckpointOnDemand(second, 2);
        using var http = new HttpClient();
        Assert.DoesNotContain(TestS3.Client(_server, http, "apps/rotated/").List(""), o => o.Name == "checkpoint-000001/manifest.json");

        File.Delete(hold);
        string end = second.WaitForLine(l => l.Contains("the app's memory is all in", StringComparison.Ordinal)
            || l.Contains("could not all be brought in", StringComparison.Ordinal), TimeSpan.FromSeconds(120), stderr: true);
        Assert.Contains("the app's memory is all in", end, StringComparison.Ordinal);
        second.Signal(Native.SIGUSR1);
        second.WaitForLine(l => l.StartsWith("intact ", StringComparison.Ordinal), TimeSpan.FromSeconds(120));
        Assert.Contains("intact yes", second.Stdout);
        Assert.DoesNotContain(second.Stderr, l => l.Contains("could not all be brought in", StringComparison.Ordinal));
        // The fill is done: the next commit deletes the pack nothing uses any more.
        Pods.CheckpointOnDemand(second, 3);
        Assert.DoesNotContain(TestS3.Client(_server, http, "apps/rotated/").List(""), o => o.Name == "packs/000001.pack");
        second.Signal(Native.SIGKILL);
    }

    private CrikRun StartFromObjectStorage(string config, string hold)
    {
        Dictionary<string, string> environment = _server!.Environment(_server.Endpoint);
        environment["TMPDIR"] = Directory.CreateDirectory(Path.Combine(_dir.Path, "tmp")).FullName;
        environment["CRIK_TEST_FILL_HOLD_FILE"] = hold;
        return CrikRun.Start(["run", "--config", config, "--", .. App], environment: environment);
    }

    public void Dispose()
    {
        _server?.Dispose();
        _dir.Dispose();
    }

    /// <param name="hold">The file that holds a restored pod's fill while it exists (CRIK_TEST_FILL_HOLD_FILE): made before each
    /// restore and deleted once the SIGTERM's checkpoint has taken what had not arrived from the checkpoint restored, so that
    /// memory is still arriving then however fast the machine, and the fill goes on through the commit.</param>
    private static void Chain(Func<CrikRun> start, string hold)
    {
        using (CrikRun first = start())
        {
            first.WaitForLine("allocated " + AppMib, TimeSpan.FromSeconds(90));
            first.WaitForLine(_ => Pods.Counts(first).Count >= 2);
            Pods.CheckpointAndStop(first);
        }
        for (int generation = 1; generation <= 2; generation++)
        {
            File.WriteAllText(hold, "");
            using CrikRun pod = start();
            Assert.Contains(", lazily (", pod.WaitForLine($"Restored checkpoint {generation} ", TimeSpan.FromSeconds(90), stderr: true), StringComparison.Ordinal);
            pod.WaitForLine($"changed {generation}", TimeSpan.FromSeconds(90));
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("the app's memory is all in", StringComparison.Ordinal));
            Pods.CheckpointAndStop(pod, meanwhile: () =>
            {
                pod.WaitForLine(NotWaited, TimeSpan.FromSeconds(60), stderr: true);
                File.Delete(hold);
            });
            string taken = pod.WaitForLine(NotWaited, stderr: true);
            Assert.Contains($"as checkpoint {generation} has it", taken, StringComparison.Ordinal);
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("Waiting up to", StringComparison.Ordinal));
            string meanwhile = pod.WaitForLine(FilledMeanwhile, stderr: true);
            Assert.DoesNotContain(": 0 B " + FilledMeanwhile, meanwhile, StringComparison.Ordinal);
            Assert.DoesNotContain(pod.Stdout, l => l.EndsWith(" no", StringComparison.Ordinal) || l.StartsWith("change failed", StringComparison.Ordinal));
            // Reads the fill had under way when it was held and let go of end unread: expected, never reported as a failure nobody saw.
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("nobody looked at it", StringComparison.Ordinal));
        }
        using CrikRun last = start();
        last.WaitForLine("Restored checkpoint 3 ", TimeSpan.FromSeconds(90), stderr: true);
        last.WaitForLine("changed 3", TimeSpan.FromSeconds(90));
        last.Signal(Native.SIGUSR1);
        last.WaitForLine(l => l.StartsWith("intact ", StringComparison.Ordinal), TimeSpan.FromSeconds(120));
        Assert.Contains("intact yes", last.Stdout);
        Assert.DoesNotContain(last.Stdout, l => l.EndsWith(" no", StringComparison.Ordinal) || l.StartsWith("change failed", StringComparison.Ordinal));
        last.Signal(Native.SIGKILL);
    }
}

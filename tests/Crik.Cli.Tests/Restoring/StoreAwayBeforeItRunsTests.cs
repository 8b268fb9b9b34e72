using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// An eager restore whose image store stops answering before the app ran (s3rver behind a proxy whose
/// reads of the packs answer 503): on crik's fill, past lazyStoreWait; from CRIU's stream, at once. That
/// says nothing of the checkpoint: it is not set aside, its restore does not count, and onStoreUnavailable
/// applies (by default nothing starts and crik exits 125). The next pod, with the store back, restores it whole.
/// </summary>
public sealed class StoreAwayBeforeItRunsTests : IDisposable
{
    private const string AppMib = "96";
    private static readonly string[] App = ["python3", Paths.App("chunky-memory.py"), AppMib];
    private readonly S3Server? _server = Prerequisites.InCi || (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is null ? new S3Server() : null;
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _server?.Dispose();
        _dir.Dispose();
    }

    [S3CriuFact]
    public void OnCriksFillAStoreAwayForLongerThanLazyStoreWaitEndsThePodAndTheCheckpointIsRestoredWholeOnceItAnswers()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        string config = Config("fill", "lazyStoreWait: 5s\n");
        int before = CheckpointFreshApp(config, proxy);
        using ManualResetEventSlim down = PacksAnswer503While(proxy);
        // Each chunk copied in 150 ms late, so that the app's memory is still arriving, with the app stopped, when the store goes.
        using (CrikRun second = Start(config, proxy, new() { ["CRIK_TEST_FILL_PACE_MS"] = "150" }))
        {
            Poll.Until(() => ProcessTable.DescendantsOf(second.CrikPid).Any(p => p.State == 'T'), $"the restored app, stopped while it fills\n{second.Transcript}",
                TimeSpan.FromSeconds(90));
            down.Set();
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(90)));
            string why = Assert.Single(second.Stderr, l => l.Contains("because the image store did not answer", StringComparison.Ordinal));
            Assert.Contains("its memory could not all be brought in before it ran, so crik killed it stopped: the image store did not answer for 5 s (lazyStoreWait)",
                why, StringComparison.Ordinal);
            NeitherRanNorSetAside(second);
        }
        down.Reset();
        RestoredWholeAndNotAgain(config, proxy, before);
    }

    [S3CriuFact]
    public void FromCriusStreamAStoreThatDoesNotAnswerEndsThePodAndTheCheckpointIsRestoredWholeOnceItAnswers()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        string config = Config("stream", "");
        int before = CheckpointFreshApp(config, proxy);
        using ManualResetEventSlim down = PacksAnswer503While(proxy);
        down.Set();
        using (CrikRun second = Start(config, proxy, new(FilledRestoreTests.WithoutUserfault)))
        {
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(120)));
            string why = Assert.Single(second.Stderr, l => l.Contains("because the image store did not answer", StringComparison.Ordinal));
            Assert.True(why.Contains("an image could not be read whole, so crik stopped criu before the app ran: ", StringComparison.Ordinal)
                && why.Contains("503 SlowDown", StringComparison.Ordinal), second.Transcript);
            NeitherRanNorSetAside(second);
        }
        down.Reset();
        RestoredWholeAndNotAgain(config, proxy, before);
    }

    /// <summary>The pod started nothing, set nothing aside, and says what to do.</summary>
    private static void NeitherRanNorSetAside(CrikRun pod)
    {
        Assert.DoesNotContain(pod.Stdout, l => l.StartsWith("intact", StringComparison.Ordinal) || l.StartsWith("allocated", StringComparison.Ordinal));
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("set aside", StringComparison.Ordinal) || l.Contains("Unhandled exception", StringComparison.Ordinal));
        Assert.Contains(pod.Stderr, l => l.Contains("the checkpoint stays, and crik starts nothing and exits so that Kubernetes starts this pod again",
            StringComparison.Ordinal));
    }

    /// <summary>The next pod restores checkpoint 1 as a first restore (the failed one was taken back), and the app goes on whole.</summary>
    private void RestoredWholeAndNotAgain(string config, FaultyProxy proxy, int before)
    {
        using CrikRun third = Start(config, proxy, []);
        third.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(120), stderr: true);
        Pods.AppIsWhole(third);
        Assert.True(Pods.Counts(third)[0] > before, $"the restored app should go on from {before}\n{third.Transcript}");
        Assert.DoesNotContain(third.Stderr, l => l.Contains("Resuming checkpoint 1 again", StringComparison.Ordinal));
        third.Signal(Native.SIGKILL);
    }

    /// <summary>Every read of a pack answers 503 SlowDown while the switch it returns is set (the lookup's HEADs of them still answer).</summary>
    private static ManualResetEventSlim PacksAnswer503While(FaultyProxy proxy)
    {
        var down = new ManualResetEventSlim(false);
        proxy.Matches = (method, path) => down.IsSet && method == "GET" && path.Contains("/packs/", StringComparison.Ordinal);
        proxy.Fail(int.MaxValue, 503);
        return down;
    }

    /// <summary>A first pod runs the app a while and is checkpointed on SIGTERM; returns its last count.</summary>
    private int CheckpointFreshApp(string config, FaultyProxy proxy)
    {
        using CrikRun first = Start(config, proxy, []);
        first.WaitForLine(_ => Pods.Counts(first).Count >= 3, TimeSpan.FromSeconds(60));
        Pods.CheckpointAndStop(first);
        return Pods.Counts(first).Last();
    }

    private string Config(string name, string extra) =>
        _dir.Write($"{name}.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/{name}\nlazyRestore: off\n{extra}");

    private CrikRun Start(string config, FaultyProxy proxy, Dictionary<string, string> extra)
    {
        Dictionary<string, string> environment = _server!.Environment(proxy.Endpoint);
        environment["TMPDIR"] = Directory.CreateDirectory(Path.Combine(_dir.Path, "tmp")).FullName;
        foreach ((string key, string value) in extra)
        {
            environment[key] = value;
        }
        return CrikRun.Start(["run", "--config", config, "--", .. App], environment: environment);
    }
}

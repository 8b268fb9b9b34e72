using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>
/// With trackWrites on and no committed checkpoint crik protected the app's memory at (the app's first checkpoint in a pod,
/// started fresh or restored lazily), a checkpoint after which the app runs on copies all of the app's memory while it runs, and
/// CRIU's dump, with the app stopped, reads only what the app wrote after that copy's scan. The app
/// (apps/page-order-app.c) rewrites its 16384 pages in a fixed order and checks that each holds what it last wrote there:
/// a page restored from the wrong one of the copy and the dump shows as "broken". The seam pauses widen the windows in which
/// the app writes between the copy's scan and its read, and between the copy and the freeze.
/// </summary>
public sealed class FirstCopyTests : IDisposable
{
    private const string PagesPerSecond = "4000";

    private const string AllOfIt = "of the app's memory while it ran, all of it";

    private static readonly Dictionary<string, string> WidenedWindows = new(PageOrderApp.WidenedWindows);

    private readonly TempDirectory _build = new();

    [WrittenOnlyFact]
    public void AFreshAppsFirstCheckpointIsCopiedWhileItRunsAndRestoresWhole()
    {
        string app = App();
        using var pods = new Pods("trackWrites: on\nlazyRestore: off\n");
        using (CrikRun first = pods.StartWith(WidenedWindows, app, "64", PagesPerSecond))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Pods.CheckpointOnDemand(first, 1);
            AssertCopiedAllAndDumpedLittle(first, "crik's copy of all of its memory");
            first.Signal(Native.SIGKILL); // the node is gone: checkpoint 1 is what the next pod has
            first.WaitForExit();
            PageOrderApp.AssertNothingBroken(first);
        }
        RestoresWhole(pods, app, 1);
    }

    /// <summary>A lazy restore's app runs before its memory is all in, so crik cannot track it from its restore (TrackedFromRestoreTests).</summary>
    [WrittenOnlyFact]
    public void TheFirstCheckpointAfterALazyRestoreIsCopiedWhileTheAppRunsAndRestoresWhole()
    {
        string app = App();
        using var pods = new Pods("trackWrites: on\nlazyRestore: on\n");
        using (CrikRun first = pods.Start(app, "64", PagesPerSecond))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Pods.CheckpointAndStop(first);
        }
        using (CrikRun second = pods.StartWith(WidenedWindows, app, "64", PagesPerSecond))
        {
            second.WaitForLine("Restored checkpoint 1", stderr: true);
            second.WaitForLine("the app's memory is all in", stderr: true);
            Thread.Sleep(TimeSpan.FromSeconds(1)); // a quarter of its pages written since the restore
            Pods.CheckpointOnDemand(second, 2);
            AssertCopiedAllAndDumpedLittle(second, "crik's copy of all of its memory");
            second.Signal(Native.SIGKILL);
            second.WaitForExit();
            PageOrderApp.AssertNothingBroken(second);
        }
        RestoresWhole(pods, app, 2, lazily: true);
    }

    /// <summary>
    /// A SIGTERM that comes while the first checkpoint copies the app's memory ends the copy: what it has not read is left to
    /// that checkpoint's dump, which commits, and the SIGTERM's own checkpoint follows at once, reading only what the app wrote
    /// since. Without it, the SIGTERM would wait for the whole copy, however large the app.
    /// </summary>
    [WrittenOnlyFact]
    public void ASigtermDuringTheCopyLeavesTheRestToTheDumpAndItsOwnCheckpointFollows()
    {
        string app = App();
        using var pods = new Pods("trackWrites: on\nlazyRestore: off\n");
        using (CrikRun first = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_COPY_READ_PAUSE_MS"] = "4000" }, app, "64", PagesPerSecond))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Task onDemand = Task.Run(() => Pods.CheckpointOnDemand(first, 1));
            Pods.WaitForPause(first, "CRIK_TEST_COPY_READ_PAUSE_MS");
            first.Signal(Native.SIGTERM); // while the copy's read pauses
            onDemand.GetAwaiter().GetResult();
            int code = first.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.True(code == 0, $"crik should exit 0 after its checkpoint, got {code}\n{first.Transcript}");
            string copied = first.WaitForLine(AllOfIt, stderr: true);
            Assert.Contains("pages left to the dump: a SIGTERM came", copied, StringComparison.Ordinal);
            Assert.True(PageOrderApp.Mebibytes(copied, "Copied ") < 1, copied);
            first.WaitForLine("CRIU read only what the app wrote since checkpoint 1", stderr: true);
            Assert.Single(first.Stderr, l => l.Contains("Checkpoint 2 committed", StringComparison.Ordinal));
            PageOrderApp.AssertNothingBroken(first);
        }
        RestoresWhole(pods, app, 2);
    }

    public void Dispose() => _build.Dispose();

    private string App() => PageOrderApp.Build(_build);

    /// <summary>
    /// The copy took most of the app's 64 MiB while it ran, and the dump took from the copy all that the app did not write
    /// after it. How much the app wrote depends on how long the copy and the freeze took on this machine, so the bound comes
    /// from the log's own times: from the checkpoint's start to the dump's end the app wrote at most its rate for that time,
    /// plus the 200 ms it catches up after a stall and the two 1 MiB areas its churn thread can have mapped.
    /// </summary>
    private static void AssertCopiedAllAndDumpedLittle(CrikRun pod, string since)
    {
        string copied = pod.WaitForLine(AllOfIt, stderr: true);
        double copiedMib = PageOrderApp.Mebibytes(copied, "Copied ");
        Assert.True(copiedMib > 48, copied);
        string taken = pod.WaitForLine($"CRIU read only what the app wrote since {since}", stderr: true);
        string started = pod.WaitForLine("Checkpointing the app", stderr: true);
        double seconds = (CrikRun.LoggedAt(taken) - CrikRun.LoggedAt(started)).TotalSeconds;
        double writtenAtMost = PageOrderApp.MebibytesWrittenIn(seconds + 0.2, PagesPerSecond) + 2;
        double takenMib = PageOrderApp.Mebibytes(taken, ": ");
        Assert.True(takenMib > 0 && takenMib >= copiedMib - writtenAtMost,
            $"{taken}\n(the app can have written at most {writtenAtMost:0.0} MiB in the {seconds:0.00} s since\n{started})");
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("reads all of the app's memory", StringComparison.Ordinal));
    }

    /// <param name="lazily">The restore is lazy: most of the memory, which crik copied while the app ran, comes on demand and in the
    /// background, as from CRIU's own dump (a copied page carries no lazy mark, and CRIU would restore it before the app ran).</param>
    private static void RestoresWhole(Pods pods, string app, int generation, bool lazily = false)
    {
        using CrikRun restored = pods.Start(app, "64", PagesPerSecond);
        string line = restored.WaitForLine($"Restored checkpoint {generation}", stderr: true);
        if (lazily)
        {
            Assert.True(PageOrderApp.Mebibytes(line, "lazily (") > 48, line);
        }
        PageOrderApp.ChecksEveryPage(restored);
        restored.Signal(Native.SIGKILL);
    }
}

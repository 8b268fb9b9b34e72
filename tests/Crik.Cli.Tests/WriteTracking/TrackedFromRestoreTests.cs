using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>
/// An app restored on crik's fill is tracked from before its first instruction, with the checkpoint it was restored from as
/// the one its next checkpoint takes what it did not write from: that checkpoint reads only what the app wrote since the
/// restore (and the pages in memory when CRIU's restore ended, which the restorer may have written), instead of first copying
/// all of its memory. Without it, a pod killed before its first checkpoint after a restore loses all it did in that pod.
/// </summary>
public sealed class TrackedFromRestoreTests : IDisposable
{
    private const string Tracks = "crik tracks what the restored app writes from before it runs (1 of 1 processes";

    private readonly TempDirectory _build = new();

    /// <summary>
    /// apps/page-order-app.c checks that each page holds what it last wrote there, across the restore and across the next
    /// checkpoint, whose copy and dump race its writes (the widened windows).
    /// </summary>
    [WrittenOnlyFact]
    public void TheFirstCheckpointAfterARestoreOnCriksFillReadsOnlyWhatTheAppWroteAndRestoresWhole()
    {
        string app = PageOrderApp.Build(_build);
        using var pods = new Pods("trackWrites: on\nlazyRestore: off\n");
        using (CrikRun first = pods.Start(app, "64", "2000"))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Pods.CheckpointAndStop(first);
        }
        using (CrikRun second = pods.StartWith(new Dictionary<string, string>(PageOrderApp.WidenedWindows), app, "64", "2000"))
        {
            second.WaitForLine("Restored checkpoint 1", stderr: true);
            second.WaitForLine(Tracks, stderr: true);
            Thread.Sleep(TimeSpan.FromSeconds(1)); // an eighth of its pages written since the restore
            Pods.CheckpointOnDemand(second, 2);
            string taken = second.WaitForLine("CRIU read only what the app wrote since checkpoint 1:", stderr: true);
            Assert.True(PageOrderApp.Mebibytes(taken, ": ") > 16, taken); // what the app did not write came from checkpoint 1
            Assert.DoesNotContain(second.Stderr, l => l.Contains("all of it", StringComparison.Ordinal) || l.Contains("reads all of the app's memory", StringComparison.Ordinal));
            second.Signal(Native.SIGKILL);
            second.WaitForExit();
            PageOrderApp.AssertNothingBroken(second);
        }
        using CrikRun restored = pods.Start(app, "64", "2000");
        restored.WaitForLine("Restored checkpoint 2", stderr: true);
        PageOrderApp.ChecksEveryPage(restored);
        restored.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// Checkpoint 2, which refers to checkpoint 1's stored chunks for what the app did not write, is set aside (given up on as a
    /// crash loop, say), so none of those stored copies may be reused. The pod that then restores checkpoint 1 copies all of the
    /// app's memory while it runs into chunks of its own, instead of reading it all with the app stopped; the checkpoint after
    /// that takes what the app did not write from it again.
    /// </summary>
    [WrittenOnlyFact]
    public void AfterACheckpointIsSetAsideTheNextCopiesTheMemoryWhileTheAppRunsAndTheOneAfterReadsOnlyWhatItWrote()
    {
        string app = PageOrderApp.Build(_build);
        using var pods = new Pods("trackWrites: on\nlazyRestore: off\n");
        using (CrikRun first = pods.Start(app, "64", "4000"))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Pods.CheckpointAndStop(first);
        }
        using (CrikRun second = pods.Start(app, "64", "4000"))
        {
            second.WaitForLine(Tracks, stderr: true);
            Pods.CheckpointOnDemand(second, 2);
            second.WaitForLine("CRIU read only what the app wrote since checkpoint 1:", stderr: true);
            second.Signal(Native.SIGKILL);
            second.WaitForExit();
        }
        Directory.CreateDirectory(Path.Combine(pods.ImageDir, "set-aside"));
        Directory.Move(Path.Combine(pods.ImageDir, "checkpoint-000002"), Path.Combine(pods.ImageDir, "set-aside", "checkpoint-000002-20261130T000000Z"));
        using (CrikRun third = pods.Start(app, "64", "4000"))
        {
            third.WaitForLine("Restored checkpoint 1", stderr: true);
            third.WaitForLine(Tracks, stderr: true);
            Pods.CheckpointOnDemand(third, 3);
            string copied = third.WaitForLine("of the app's memory while it ran, all of it", stderr: true);
            Assert.Contains("of checkpoint 1 may not be reused", copied, StringComparison.Ordinal);
            Pods.CheckpointOnDemand(third, 4);
            third.WaitForLine("CRIU read only what the app wrote since checkpoint 3:", stderr: true);
            Assert.DoesNotContain(third.Stderr, l => l.Contains("reads all of the app's memory", StringComparison.Ordinal));
            third.Signal(Native.SIGKILL);
            third.WaitForExit();
            PageOrderApp.AssertNothingBroken(third);
        }
        using CrikRun restored = pods.Start(app, "64", "4000");
        restored.WaitForLine("Restored checkpoint 4", stderr: true);
        PageOrderApp.ChecksEveryPage(restored);
        restored.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A page written after crik put it in and before CRIU's restore ended (CRIK_FAULT=restorer-writes writes one, as CRIU's
    /// restorer or the kernel for it could) counts as written: the next checkpoint holds that write, not checkpoint 1's page.
    /// apps/tracked-writes-app.c adds up byte 11 of each of its pages (SIGUSR2), the byte the seam writes in its first page.
    /// </summary>
    [WrittenOnlyFact]
    public void APageTheRestoreWroteIsReadByTheNextCheckpoint()
    {
        string app = TrackedWritesApp();
        using var pods = new Pods("trackWrites: on\nlazyRestore: off\n");
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Assert.Equal(16384, TrackedCheckpointTests.SumOf(first)); // every page's byte 11 is 1
            Pods.CheckpointAndStop(first);
        }
        const long written = 16384 - 1 + 0xAB;
        using (CrikRun second = pods.StartWith(new Dictionary<string, string> { ["CRIK_FAULT"] = "restorer-writes" }, app))
        {
            second.WaitForLine("Restored checkpoint 1", stderr: true);
            second.WaitForLine(Tracks, stderr: true);
            Assert.Equal(written, TrackedCheckpointTests.SumOf(second));
            Pods.CheckpointOnDemand(second, 2);
            second.WaitForLine("CRIU read only what the app wrote since checkpoint 1:", stderr: true);
            second.Signal(Native.SIGKILL);
        }
        using CrikRun restored = pods.Start(app);
        restored.WaitForLine("Restored checkpoint 2", stderr: true);
        Assert.Equal(written, TrackedCheckpointTests.SumOf(restored));
        restored.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A checkpoint whose pages are in so many pieces that a checkpoint would gather them (a SIGTERM's never does) is not tracked
    /// from its restore: the restored app's next checkpoint copies all of its memory, so its chunks are whole again, instead of
    /// taking from the pieces, which restores and SIGTERMs would otherwise cut without end. apps/tracked-writes-app.c "spread"
    /// writes every third page.
    /// </summary>
    [WrittenOnlyFact]
    public void ARestoredCheckpointInTooManyPiecesIsCopiedWholeByTheNextCheckpoint()
    {
        string app = TrackedWritesApp();
        using var pods = new Pods("trackWrites: on\nlazyRestore: off\n");
        long sum;
        using (CrikRun first = pods.Start(app, "spread"))
        {
            TrackedCheckpointTests.TwoCheckpointsOfSpreadWrites(first);
            sum = TrackedCheckpointTests.SumOf(first);
            Pods.CheckpointAndStop(first); // checkpoint 3, a SIGTERM's: checkpoint 2's pieces cut again, not gathered
        }
        using (CrikRun second = pods.Start(app, "spread"))
        {
            second.WaitForLine("Restored checkpoint 3", stderr: true);
            second.WaitForLine("Checkpoint 3: its pages are in ", stderr: true);
            Assert.Equal(sum, TrackedCheckpointTests.SumOf(second));
            Pods.CheckpointOnDemand(second, 4);
            second.WaitForLine("of the app's memory while it ran, all of it", stderr: true);
            Assert.DoesNotContain(second.Stderr, l => l.Contains("crik tracks what the restored app writes", StringComparison.Ordinal));
            second.Signal(Native.SIGKILL);
        }
        using CrikRun restored = pods.Start(app, "spread");
        restored.WaitForLine("Restored checkpoint 4", stderr: true);
        Assert.Equal(sum, TrackedCheckpointTests.SumOf(restored));
        restored.Signal(Native.SIGKILL);
    }

    public void Dispose() => _build.Dispose();

    private string TrackedWritesApp() => CompiledApp.Build("tracked-writes-app.c", Path.Combine(_build.Path, "tracked-writes-app"));
}

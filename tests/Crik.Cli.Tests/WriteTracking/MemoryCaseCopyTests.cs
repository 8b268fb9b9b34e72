using Crik.Cli.Tests.LazyPages;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>
/// The first checkpoint after a restore copies all of the app's memory while it runs (trackWrites on): after the app reshaped
/// its memory while it arrived (apps/memory-cases.c, run as <see cref="MemoryCaseRuns"/> says: guard pages, pages paged out,
/// areas moved, shrunk and locked), the checkpoint, restored each way, still holds every byte as the kernel had it, and every
/// guard page.
/// </summary>
public sealed class MemoryCaseCopyTests : IDisposable
{
    private readonly MemoryCaseRuns _runs = new("memory-cases.c");

    [WrittenOnlyTheory]
    [InlineData("guard+cold+pageout")]
    [InlineData("mremapshrink+mremapfixed+dontunmap+mlock")]
    public void AReshapedMemoryCopiedWhileTheAppRunsIsRestoredWhole(string cases)
    {
        string[] lines = [.. cases.Split('+').Select(name => name + " yes")];
        using var pods = new Pods("trackWrites: on\nlazyRestore: on\n");
        using (CrikRun pod = _runs.ChangedWhileArriving(pods, cases, fillPaceMs: 5))
        {
            MemoryCaseRuns.AssertSaid(pod, lines);
            pod.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(90), stderr: true);
            Pods.CheckpointOnDemand(pod, 2);
            pod.WaitForLine("of the app's memory while it ran, all of it", stderr: true);
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("reads all of the app's memory", StringComparison.Ordinal));
            // CRIU took the guard pages and the pages to dump from one scan, made while it did the rest (criu-patches/0008),
            // and the build-IDs of the files the app maps from what the dump before this one found (criu-patches/0009).
            string dumpLog = pods.DumpLog(2);
            Assert.Contains("pages beside the dump", dumpLog, StringComparison.Ordinal);
            Assert.Matches("Build-IDs of [1-9][0-9]* files taken from /run/criu-build-ids.cache", dumpLog);
            MemoryCaseRuns.AssertNoFailure(pod);
            pod.Signal(Native.SIGKILL);
            pod.WaitForExit();
        }
        _runs.RestoreEachWayAndCheck(pods, cases, lines);
    }

    public void Dispose() => _runs.Dispose();
}

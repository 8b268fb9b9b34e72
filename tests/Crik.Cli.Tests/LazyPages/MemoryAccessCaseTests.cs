using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// What reaches a restored app's memory while it arrives, other than the app's own thread: other processes and threads,
/// the kernel's reads into it, and shared memory beside it, through the fill, a checkpoint taken during the fill, and the
/// next restore of that checkpoint each way (apps/memory-access-cases.c, run as <see cref="MemoryCaseRuns"/> says). Cases
/// that cannot interfere share a row, each in an area of its own.
/// </summary>
public sealed class MemoryAccessCaseTests : IDisposable
{
    private readonly MemoryCaseRuns _runs = new("memory-access-cases.c");

    /// <summary>What each case of the app says when it finds what it expects.</summary>
    private static readonly Dictionary<string, string> Said = new()
    {
        ["vfork"] = "vfork child yes",
        ["clonevm"] = "clone child yes",
        ["threads"] = "threads yes",
        ["exitchild"] = "exited child yes",
        ["vmreadv"] = "vmreadv yes",
        ["vmwritev"] = "vmwritev yes",
        ["readpipe"] = "read pipe yes",
        ["readfile"] = "read file yes",
        ["odirect"] = "odirect yes",
        ["iouring"] = "iouring yes",
        ["memfd"] = "memfd yes",
        ["sharedanon"] = "shared yes",
        ["removeshared"] = "removed yes",
    };

    /// <summary>
    /// Just after a lazy restore, with most of the memory not arrived yet, the app's cases find every byte where the kernel
    /// has it: read by a vfork child, a clone(CLONE_VM) child and threads faulting the same pages at once; read into by
    /// read(2) from a pipe and a file, O_DIRECT and io_uring; written in memfd and shared areas beside (zeros after
    /// MADV_REMOVE). A checkpoint is taken during the fill, and its restore each way finds the same.
    /// </summary>
    [CriuTheory]
    [InlineData("vfork+clonevm+threads")]
    [InlineData("readpipe+readfile+odirect+iouring")]
    [InlineData("memfd+sharedanon+removeshared")]
    public void WhatReachesTheMemoryWhileItArrivesFindsItsBytesThroughACheckpointDuringTheFill(string cases)
    {
        using var pods = new Pods("lazyRestore: on\n");
        ChangedCheckpointedAndRestoredEachWay(pods, cases, MemoryCaseRuns.FillPaceMs);
    }

    /// <summary>
    /// Forked helpers read and write the app's memory not arrived yet (process_vm_readv, process_vm_writev), and a forked
    /// child reads some of it and exits, all while the fill is so slow (a chunk every 2 s) that crik copies nothing into
    /// the children after they exit: the checkpoint during the fill sees at its glance that they are gone and takes the
    /// memory as it is. Before, it waited for the memory as for children still running, and failed when the memory was not
    /// all in within half its budget (the app got the SIGTERM, the checkpoint was lost).
    /// </summary>
    [CriuFact]
    public void ChildrenThatExitedWhileTheMemoryArrivedDoNotMakeACheckpointDuringTheFillWaitForIt()
    {
        using var pods = new Pods("lazyRestore: on\n");
        ChangedCheckpointedAndRestoredEachWay(pods, "vmreadv+vmwritev+exitchild", fillPaceMs: 2000);
    }

    public void Dispose() => _runs.Dispose();

    private void ChangedCheckpointedAndRestoredEachWay(Pods pods, string cases, int fillPaceMs)
    {
        string[] lines = [.. cases.Split('+').Select(c => Said[c])];
        using (CrikRun pod = _runs.ChangedWhileArriving(pods, cases, fillPaceMs: fillPaceMs))
        {
            Assert.True(Pods.Counts(pod, "unfilled") is [>= 50], $"most of the memory the cases act on should not have arrived yet\n{pod.Transcript}");
            MemoryCaseRuns.AssertSaid(pod, lines);
            MemoryCaseRuns.CheckpointDuringTheFill(pod);
        }
        _runs.RestoreEachWayAndCheck(pods, cases, lines);
    }
}

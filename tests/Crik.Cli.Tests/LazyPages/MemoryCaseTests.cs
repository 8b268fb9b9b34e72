using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// What a restored app does to the shape of its memory while it arrives is what the kernel would make of it, through
/// the fill, a checkpoint taken during the fill, and the next restore of that checkpoint each way (apps/memory-cases.c,
/// run as <see cref="MemoryCaseRuns"/> says).
/// </summary>
public sealed class MemoryCaseTests : IDisposable
{
    private readonly MemoryCaseRuns _runs = new("memory-cases.c");

    /// <summary>
    /// A child forked just after the restore reads its parent's MADV_WIPEONFORK area as zeros, as the kernel gives it (a TLS
    /// library detects a fork by such a page); the parent keeps its bytes. Again after a checkpoint and its restore each way.
    /// </summary>
    [CriuFact]
    public void AChildForkedWhileMemoryArrivesReadsAWipeOnForkAreaAsZeros()
    {
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun pod = _runs.ChangedWhileArriving(pods, "wipeonfork"))
        {
            MemoryCaseRuns.AssertSaid(pod, "child zero yes", "child intact yes");
            CheckpointAfterTheFork(pod);
        }
        _runs.RestoreEachWayAndCheck(pods, "wipeonfork", "child zero yes", "child intact yes");
    }

    /// <summary>
    /// A child forked with a MADV_DONTFORK area has no such area: crik fills the rest of the child and its parent, and the
    /// memory is all in (a page crik could not place would fail the fill).
    /// </summary>
    [CriuFact]
    public void AChildForkedWithADontForkAreaIsFilledWithoutIt()
    {
        using var pods = new Pods("lazyRestore: on\n");
        using CrikRun pod = _runs.ChangedWhileArriving(pods, "dontfork");
        MemoryCaseRuns.AssertSaid(pod, "child intact yes");
        pod.WaitForLine("memory is all in", TimeSpan.FromSeconds(120), stderr: true);
        MemoryCaseRuns.AssertIntact(pod);
    }

    /// <summary>
    /// An area locked with mlock2(MLOCK_ONFAULT) before its pages arrived, then a checkpoint taken during the fill: CRIU
    /// does not restore a locked area lazily, so its pages, taken from the checkpoint restored, are restored by CRIU
    /// itself, and the app finds its bytes after the next restore, each way.
    /// </summary>
    [CriuFact]
    public void AnAreaLockedOnFaultWhileMemoryArrivesKeepsItsBytesThroughACheckpointDuringTheFill()
    {
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun pod = _runs.ChangedWhileArriving(pods, "lockonfault"))
        {
            MemoryCaseRuns.AssertSaid(pod, "locked yes");
            MemoryCaseRuns.CheckpointDuringTheFill(pod);
        }
        _runs.RestoreEachWayAndCheck(pods, "lockonfault");
    }

    /// <summary>
    /// The app changes the shape of its memory just after a lazy restore, before those areas arrived, and a checkpoint is
    /// taken during the fill: the next restore, each way (lazily, checked while its memory arrives), has every byte where
    /// the kernel had it: moved bytes where they went, zeros where the app dropped, unmapped or mapped anew.
    /// </summary>
    [CriuTheory]
    [InlineData("mprotect")]
    [InlineData("munmapfixed")]
    [InlineData("fixedover")]
    [InlineData("mremapgrow")]
    [InlineData("shrinkmove")]
    [InlineData("dontneed")]
    [InlineData("shrinkbelow")]
    public void WhatTheAppReshapedWhileItsMemoryArrivedIsKeptThroughACheckpointDuringTheFill(string which)
    {
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun pod = _runs.ChangedWhileArriving(pods, which))
        {
            MemoryCaseRuns.CheckpointDuringTheFill(pod);
        }
        _runs.RestoreEachWayAndCheck(pods, which);
    }

    /// <summary>
    /// An mremap that shrinks as it moves its area to end just below another area not yet filled, followed as on a kernel
    /// before 6.16 (whose remap event holds the length the call asked for, RemapLength): crik finds what moved from the
    /// thread in the mremap, so the tail cut off never fills the area above, and every byte is where the kernel has it.
    /// </summary>
    [CriuFact]
    public void AShrinkThatMovesIsFollowedAsOnAKernelBeforeSixSixteen()
    {
        using var pods = new Pods("lazyRestore: on\n");
        using CrikRun pod = _runs.ChangedWhileArriving(pods, "shrinkbelow", new Dictionary<string, string> { ["CRIK_TEST_REMAP_AS_BEFORE_6_16"] = "1" });
        pod.WaitForLine("memory is all in", TimeSpan.FromSeconds(120), stderr: true);
        MemoryCaseRuns.AssertIntact(pod);
    }

    /// <summary>
    /// A move beside a thread that never sleeps, followed as on a kernel before 6.16: /proc only ever shows that thread
    /// running, so crik never sees it outside the mremap. The move's own thread waits in the call for crik to read the
    /// unmap of the old place that follows the remap (of the tail too, for a shrink), except with MREMAP_DONTUNMAP. Also
    /// with every /proc read, or the remap's handling, late (Timing/TestDelay).
    /// </summary>
    [CriuTheory]
    [InlineData("busy+mremapgrow", "", "")]
    [InlineData("busy+shrinkbelow", "", "")]
    [InlineData("busy+dontunmap", "", "")]
    [InlineData("busy+mremapgrow", "CRIK_TEST_PROC_READ_DELAY_MS", "5")]
    [InlineData("busy+dontunmap", "CRIK_TEST_EVENT_DELAY_MS", "300")]
    public void AMoveBesideAThreadThatNeverSleepsIsFollowedAsOnAKernelBeforeSixSixteen(string cases, string seam, string milliseconds)
    {
        using var pods = new Pods("lazyRestore: on\n");
        var environment = new Dictionary<string, string> { ["CRIK_TEST_REMAP_AS_BEFORE_6_16"] = "1" };
        if (seam.Length > 0)
        {
            environment[seam] = milliseconds;
        }
        using CrikRun pod = _runs.ChangedWhileArriving(pods, cases, environment);
        pod.WaitForLine("memory is all in", TimeSpan.FromSeconds(120), stderr: true);
        MemoryCaseRuns.AssertIntact(pod);
    }

    /// <summary>
    /// The app acts on its memory just after a lazy restore, before it arrived, several cases at once, each on an area of its
    /// own (apps/memory-cases.c says what each does and checks): the kernel's answer and the bytes it gives are what crik
    /// gives, while the memory arrives, through a checkpoint taken during the fill, and after its restore each way.
    /// </summary>
    [CriuTheory]
    [InlineData("mremapshrink+mremapfixed+dontunmap+mlock")]
    [InlineData("populateread+populatewrite+free+nohugepage")]
    [InlineData("collapse+populatecollapse")]
    [InlineData("guard+cold+pageout")]
    [InlineData("guardlate+guard")]
    [InlineData("lockall")]
    [InlineData("lockfuture")]
    public void WhatTheAppDoesToItsMemoryWhileItArrivesIsWhatTheKernelDoes(string cases)
    {
        string[] lines = Answers(cases);
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun pod = _runs.ChangedWhileArriving(pods, cases))
        {
            MemoryCaseRuns.AssertSaid(pod, lines);
            MemoryCaseRuns.CheckpointDuringTheFill(pod);
        }
        _runs.RestoreEachWayAndCheck(pods, cases, lines);
    }

    /// <summary>
    /// A child forked just after the restore, from an area given MADV_WIPEONFORK and then MADV_KEEPONFORK, reads that area's
    /// bytes (the kernel keeps them for the child again); beside it areas given MADV_COLD, MADV_PAGEOUT and MADV_HUGEPAGE
    /// keep theirs. Again after a checkpoint (it waits for the memory: crik has not heard that the child exited) and its
    /// restore each way.
    /// </summary>
    [CriuFact]
    public void AChildForkedAfterKeepOnForkReadsItsParentsBytes()
    {
        const string Cases = "keeponfork+cold+pageout+hugepage";
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun pod = _runs.ChangedWhileArriving(pods, Cases))
        {
            MemoryCaseRuns.AssertSaid(pod, Answers(Cases));
            CheckpointAfterTheFork(pod);
        }
        _runs.RestoreEachWayAndCheck(pods, Cases, Answers(Cases));
    }

    public void Dispose() => _runs.Dispose();

    /// <summary>What the app says after each restore when each of the cases joined by "+" went as the kernel says.</summary>
    private static string[] Answers(string cases) => [.. cases.Split('+').Select(name => name + " yes")];

    /// <summary>
    /// A SIGTERM with the memory still arriving and a child forked since the restore: crik does not know the child's PID
    /// (it has exited, but crik has not heard), so the checkpoint waits for the memory to be all in.
    /// </summary>
    private static void CheckpointAfterTheFork(CrikRun pod)
    {
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("memory is all in", StringComparison.Ordinal));
        Pods.CheckpointAndStop(pod);
        MemoryCaseRuns.AssertNoFailure(pod);
    }
}

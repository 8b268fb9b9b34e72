using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// An mremap that shrinks while it moves, as each kernel reports it (RemapLength cites the lines of mm/mremap.c each
/// sequence follows): before 6.16 the remap event holds the length the call asked for and the tail's unmap comes after
/// it at the old addresses; from 6.16 the event holds the length that moved. Either way, what crik keeps to fill ends as
/// the kernel has the memory: the moved half at its new place, the area above the destination untouched, nothing left
/// of the tail.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RemapLengthTests
{
    private const ulong Page = 4096, From = 0x10000, To = 0x40000, Above = 0x48000;
    private const int X64Mremap = 25;

    /// <summary>mremap(0x10000, 16 pages, 8 pages, MREMAP_MAYMOVE|MREMAP_FIXED, 0x40000), as /proc/PID/task/TID/syscall shows it.</summary>
    private const string InTheShrinkingMremap = "25 0x10000 0x10000 0x8000 0x3 0x40000 0x0 0x7ffc2a1e8f10 0x7f3a9c51a4cb";

    [Theory]
    [InlineData("6.16.0", true)]
    [InlineData("6.18.0-cloud-amd64", true)]
    [InlineData("7.0.1", true)]
    [InlineData("6.15.11-200.fc42.x86_64", false)]
    [InlineData("6.6.87.2-microsoft-standard-WSL2", false)]
    [InlineData("6.1.0-27-amd64", false)]
    [InlineData("5.15.0-1071-aws", false)]
    [InlineData("", false)]
    [InlineData("not a release", false)]
    public void OnlyKernelsFromSixSixteenOnReportTheLengthThatMoved(string release, bool says) =>
        Assert.Equal(says, RemapLength.EventSaysWhatMoved(release));

    [Fact]
    public void BeforeSixSixteenTheThreadInTheMremapSaysHowMuchMovedAndTheTailIsDroppedByTheUnmapThatFollows()
    {
        using LazyTask task = ShrinkingAreaBelowAnAreaNotYetFilled();
        var witness = new RemapWitness(From, To, reported: 16 * Page, X64Mremap);

        // Events: the remap with the length asked for; then (the thread waiting in mremap for crik to read it) the tail's unmap.
        ulong? moved = witness.Look([(101, "running"), (100, InTheShrinkingMremap)]);
        task.Remap(From, To, moved!.Value);
        task.Unmap(From + (8 * Page), From + (16 * Page));

        Assert.Equal(8 * Page, moved);
        AssertAsTheKernelHasIt(task);
    }

    [Fact]
    public void FromSixSixteenTheEventSaysHowMuchMoved()
    {
        using LazyTask task = ShrinkingAreaBelowAnAreaNotYetFilled();

        task.Remap(From, To, 8 * Page);
        task.Unmap(From + (8 * Page), From + (16 * Page));

        AssertAsTheKernelHasIt(task);
    }

    [Fact]
    public void TakenAsItWasReportedBeforeSixSixteenTheTailWouldFillTheAreaAboveTheDestination()
    {
        using LazyTask task = ShrinkingAreaBelowAnAreaNotYetFilled();

        task.Remap(From, To, 16 * Page);
        task.Unmap(From + (8 * Page), From + (16 * Page));

        // What the rule prevents: the area above would get the tail's bytes.
        Assert.Equal(From + (8 * Page), DumpedAt(task, Above));
    }

    [Fact]
    public void AMoveThatDidNotShrinkIsKnownOnceEveryThreadWasSeenOutsideIt()
    {
        var witness = new RemapWitness(From, To, reported: 16 * Page, X64Mremap);

        Assert.Null(witness.Look([(100, "running"), (101, "202 0x7f3a9c3ff910 0x80 0x2 0x0 0x0 0x0 0x7ffc 0x7f3a")]));
        Assert.Null(witness.Look([(100, "running"), (101, "running"), (102, "running")])); // 102 came later: it cannot be the mover
        Assert.Null(witness.Look([(100, ""), (101, "running")])); // unreadable: not seen
        Assert.Equal(16 * Page, witness.Look([(100, "-1 0x7ffc2a1e8f10 0x55d0c3a1b2c4"), (102, "running")])); // 101 ended
    }

    [Fact]
    public void AThreadInAnotherMremapIsNotTheMover()
    {
        var witness = new RemapWitness(From, To, reported: 16 * Page, X64Mremap);

        Assert.Equal(16 * Page, witness.Look([(100, "25 0x90000 0x10000 0x8000 0x3 0x40000 0x0 0x7ffc 0x7f3a")]));
    }

    /// <summary>
    /// realloc's move (MREMAP_MAYMOVE, no MREMAP_FIXED: the kernel picks the place, and the call's fifth argument is whatever
    /// was in its register) beside a thread that never sleeps: the mover waits in the call for crik to read the unmap of
    /// its old place, and is known by where it moves from and its length. Before, crik looked for the destination among
    /// its arguments, never found the mover, and waited for the busy thread to be seen, which it never is: the fill failed.
    /// </summary>
    [Fact]
    public void ReallocsMoveIsKnownByItsMoverBesideAThreadThatNeverSleeps()
    {
        var witness = new RemapWitness(From, To, reported: 16 * Page, X64Mremap);

        Assert.Equal(16 * Page, witness.Look([(100, "running"), (101, "25 0x10000 0x10000 0x20000 0x1 0x7f3a9c3ff910 0x0 0x7ffc 0x7f3a")]));
    }

    /// <summary>
    /// Lengths that end mid-page: the kernel rounds both up to whole pages before the move (and reports the old one so), while
    /// the thread's system call shows them as called. A shrink to 0x3f9c bytes moved 4 pages, not 3 and a bit.
    /// </summary>
    [Fact]
    public void LengthsThatEndMidPageAreTakenAsTheKernelRoundsThemUp()
    {
        var witness = new RemapWitness(From, To, reported: 16 * Page, X64Mremap);

        Assert.Equal(4 * Page, witness.Look([(100, "running"), (101, "25 0x10000 0xf010 0x3f9c 0x3 0x40000 0x0 0x7ffc 0x7f3a")]));
    }

    [Fact]
    public void AMoveFromTheSamePlaceWithAnotherLengthIsNotThisOne()
    {
        var witness = new RemapWitness(From, To, reported: 16 * Page, X64Mremap);

        Assert.Null(witness.Look([(100, "running"), (101, "25 0x10000 0x4000 0x20000 0x1 0x0 0x0 0x7ffc 0x7f3a")]));
    }

    /// <summary>
    /// MREMAP_DONTUNMAP leaves its old place registered with crik, and its mover does not wait after the remap event: the old
    /// place, still all there, says it (it never shrinks). Any other move has unmapped it before the event was sent.
    /// </summary>
    [Fact]
    public void AnOldPlaceStillRegisteredIsAMoveThatKeptIt()
    {
        const string kept = "10000-20000 rw-p 00000000 00:00 0\nVmFlags: rd wr mr mw me ac sd um\n40000-50000 rw-p 00000000 00:00 0\nVmFlags: rd wr mr mw me ac sd um\n";
        const string gone = "40000-50000 rw-p 00000000 00:00 0\nVmFlags: rd wr mr mw me ac sd um\n";
        const string split = "10000-18000 rw-p 00000000 00:00 0\nVmFlags: rd wr mr mw me ac sd um\n18000-20000 rw-p 00000000 00:00 0\nVmFlags: rd wr mr mw me ac sd\n";
        Assert.True(RemapLength.KeptInPlace(kept, From, From + (16 * Page)));
        Assert.False(RemapLength.KeptInPlace(gone, From, From + (16 * Page)));
        Assert.False(RemapLength.KeptInPlace(split, From, From + (16 * Page)));
    }

    /// <summary>Area X [0x10000, +16 pages) and, right above where its first half goes, area Y [0x48000, +8 pages): none filled yet.</summary>
    private static LazyTask ShrinkingAreaBelowAnAreaNotYetFilled() =>
        LazyTaskTests.Task([new(From, From + (16 * Page)), new(Above, Above + (8 * Page))], (From, 16, Lazy: true), (Above, 8, Lazy: true));

    /// <summary>Where the page crik would fill at <paramref name="address"/> was when it was dumped.</summary>
    private static ulong DumpedAt(LazyTask task, ulong address)
    {
        (LazyArea area, long page) = task.Find(address)!.Value;
        return area.DumpedAt + ((ulong)page * Page);
    }

    private static void AssertAsTheKernelHasIt(LazyTask task)
    {
        Assert.Equal([(To, 8L), (Above, 8L)], task.Areas.Select(a => (a.Address, a.Pages)));
        Assert.Equal(From, DumpedAt(task, To));
        Assert.Equal(Above, DumpedAt(task, Above));
        Assert.Null(task.Find(From + (8 * Page)));
        Assert.Equal(16, task.Missing);
    }
}

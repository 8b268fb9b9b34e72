using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.LazyPages;
using Microsoft.Win32.SafeHandles;
using Crik.Cli.Tests.Criu;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// What is left to fill of one restored process, as the app changes its memory while it arrives: a
/// copy never crosses a mapping, an mremap moves what is left with it, a dropped page is never filled
/// from the image, unmapped memory leaves nothing behind, and a forked child has its own record of what
/// it still misses.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LazyTaskTests
{
    private const ulong Page = 4096;

    [Fact]
    public void LazyRunsAreSplitWhereAMappingEndsAndOnlyLazyRunsAreFilled()
    {
        using LazyTask task = Task(
            [new(0x10000, 0x14000), new(0x14000, 0x20000)],
            (0x10000, 8, Lazy: true), (0x30000, 2, Lazy: false));

        Assert.Equal([(0x10000UL, 0L, 4L), (0x14000UL, 4 * (long)Page, 4L)], task.Areas.Select(a => (a.Address, a.Offset, a.Pages)));
        Assert.Equal(8, task.Missing);
        Assert.Null(task.Find(0x30000)); // restored by CRIU itself
        Assert.Null(task.Find(0x18000)); // never dumped: a zero page
        Assert.Equal(2, task.Find(0x16000)!.Value.Page);
    }

    [Fact]
    public void AnMremapMovesWhatIsLeftToFillAndItsPagesComeFromWhereTheyWereInTheImage()
    {
        using LazyTask task = Task([new(0x10000, 0x20000)], (0x10000, 16, Lazy: true));
        task.MarkDone(task.Areas[0], 0, 1);

        task.Remap(0x12000, 0x80000, 4 * Page); // pages 2-5 move

        Assert.Equal([(0x10000UL, 2L), (0x16000UL, 10L), (0x80000UL, 4L)], task.Areas.Select(a => (a.Address, a.Pages)));
        (LazyArea moved, long page) = task.Find(0x81000)!.Value;
        Assert.Equal(1, page);
        Assert.Equal(2 * (long)Page, moved.Offset);
        Assert.Equal(0x12000UL, moved.DumpedAt);
        Assert.Null(task.Find(0x13000)); // nothing of the image is there any more
        Assert.True(task.Areas[0].IsDone(0));
        Assert.Equal(15, task.Missing);
    }

    [Fact]
    public void DroppedPagesAreNeverFilledFromTheImage()
    {
        using LazyTask task = Task([new(0x10000, 0x20000)], (0x10000, 16, Lazy: true));

        task.Drop(0x11800, 0x14000); // madvise rounds to pages: 1, 2 and 3

        // They leave the areas (so that a checkpoint never takes them from the image either); nothing of them is done or missing.
        Assert.Equal([(0x10000UL, 1L, 0L), (0x14000UL, 12L, 4 * (long)Page)], task.Areas.Select(a => (a.Address, a.Pages, a.Offset)));
        Assert.Null(task.Find(0x11000));
        Assert.Null(task.Find(0x13000));
        Assert.Equal(13, task.Missing);
        Assert.False(task.Areas[1].IsDone(0));
    }

    [Fact]
    public void UnmappedMemoryLeavesNothingBehindSoThatMemoryMovedIntoItsPlaceIsFilledFromWhereItCameFrom()
    {
        using LazyTask task = Task([new(0x10000, 0x14000), new(0x30000, 0x34000)], (0x10000, 4, Lazy: true), (0x30000, 4, Lazy: true));

        task.Unmap(0x11000, 0x13000);
        Assert.Null(task.Find(0x11000));
        Assert.Equal(6, task.Missing);

        task.Unmap(0x10000, 0x14000);
        task.Remap(0x30000, 0x10000, 4 * Page); // glibc's realloc moving a block into the gap a free left

        (LazyArea moved, long page) = task.Find(0x11000)!.Value;
        Assert.Equal(4 * (long)Page, moved.Offset); // the second run's bytes, not zeros for the first
        Assert.Equal(1, page);
        Assert.Single(task.Areas);
        Assert.Equal(4, task.Missing);
    }

    [Fact]
    public void AForkedChildMissesWhatItsParentMissedThenAndEachIsFilledOnItsOwn()
    {
        using LazyTask parent = Task([new(0x10000, 0x20000)], (0x10000, 16, Lazy: true));
        parent.MarkDone(parent.Areas[0], 0, 4);

        using LazyTask child = parent.Fork(new UserfaultFile(new SafeFileHandle(-1, ownsHandle: false)), [], new ForkedFrom(null));
        parent.MarkDone(parent.Areas[0], 4, 4);

        Assert.Equal(12, child.Missing);
        Assert.Equal(8, parent.Missing);
        Assert.Equal(parent.Pid, child.Pid);
    }

    [Fact]
    public void TheMappingsAreReadFromAnMmImage()
    {
        using var image = new MemoryStream();
        ImageWire.WriteMagic(image, 0x57492820);
        byte[] vma1 = Protobuf.Message((1, 0x20000), (2, 0x30000), (3, 7));
        byte[] vma2 = Protobuf.Message((1, 0x10000), (2, 0x14000));
        byte[] mm = [.. Protobuf.Embedded(14, vma1), .. Protobuf.Varint(2 << 3), .. Protobuf.Varint(5), .. Protobuf.Embedded(14, vma2)];
        image.Write(BitConverter.GetBytes(mm.Length));
        image.Write(mm);

        Assert.Equal([new MemoryArea(0x10000, 0x14000), new MemoryArea(0x20000, 0x30000)], MemoryAreasImage.Parse(image.ToArray()));
        Assert.Throws<FormatException>(() => MemoryAreasImage.Parse(image.ToArray().AsSpan(0, 6)));
    }

    /// <summary>
    /// CRIU lists a run of MADV_GUARD_INSTALL pages as an entry of its own (VMA_AREA_GUARD) inside the mapping that holds it
    /// (zdtm's maps12). It is no mapping: the lazy run that begins where a guard run ends lies in the mapping around both,
    /// and is filled from the image (taken for a mapping, the guard hid it, and the run's pages came back as zeros).
    /// </summary>
    [Fact]
    public void AGuardRunInsideAMappingIsNoMappingAndTheRunAfterItIsFilled()
    {
        using var image = new MemoryStream();
        ImageWire.WriteMagic(image, 0x57492820);
        const ulong regular = 1, guard = 1 << 16;
        byte[] mapping = Protobuf.Message((1, 0x10000), (2, 0x20000), (7, regular));
        byte[] guards = Protobuf.Message((1, 0x11000), (2, 0x12000), (7, guard));
        byte[] mm = [.. Protobuf.Embedded(14, mapping), .. Protobuf.Embedded(14, guards)];
        image.Write(BitConverter.GetBytes(mm.Length));
        image.Write(mm);

        IReadOnlyList<MemoryArea> areas = MemoryAreasImage.Parse(image.ToArray());
        Assert.Equal([(0x10000UL, 0x20000UL)], areas.Select(a => (a.Start, a.End)));
        using LazyTask task = Task(areas, (0x10000, 1, Lazy: true), (0x12000, 14, Lazy: true));
        Assert.NotNull(task.Find(0x12000));
        Assert.NotNull(task.Find(0x1f000));
        Assert.Null(task.Find(0x11000)); // the guard page: CRIU dumped nothing there, and installs the guard again
        Assert.Equal(15, task.Missing);
    }

    [Fact]
    public void AForkedChildHasNeitherADontForkNorAWipeOnForkAreaToFill()
    {
        using LazyTask parent = Task([new(0x10000, 0x20000), new(0x20000, 0x30000), new(0x30000, 0x40000)],
            (0x10000, 16, Lazy: true), (0x20000, 16, Lazy: true), (0x30000, 16, Lazy: true));
        using LazyTask child = parent.Fork(new UserfaultFile(new SafeFileHandle(-1, ownsHandle: false)),
            [(0x20000, 0x30000), (0x38000, 0x40000)], new ForkedFrom(1));

        Assert.Null(child.Find(0x24000)); // a zero page, as the kernel gives a child in a MADV_WIPEONFORK area
        Assert.Null(child.Find(0x38000));
        Assert.Equal(16 + 8, child.Missing);
        Assert.Equal(48, parent.Missing);
        Assert.True(child.Forked);
        Assert.Null(child.RealPid);
    }

    [Fact]
    public void ALazyRunInAMappingCriuDoesNotRegisterIsRefused()
    {
        var locked = new MemoryArea(0x10000, 0x20000, Flags: PrivateAnonymous | 0x2000); // MAP_LOCKED
        byte[] pagemap = new PagemapImage(1, [new PagemapEntry(0x10000, 16, PagemapEntry.Present | PagemapEntry.Lazy)]).Encode();

        var refused = Assert.Throws<InvalidDataException>(() =>
            LazyTask.Create(1, Pagemap.Parse(pagemap), [locked], new UserfaultFile(new SafeFileHandle(-1, ownsHandle: false))));
        Assert.Contains("not filled lazily", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyUnlockedPrivateAnonymousMappingsCanBeLazyAsCriuDecides()
    {
        Assert.True(new MemoryArea(0, Page, PrivateAnonymous).CanBeLazy);
        Assert.False(new MemoryArea(0, Page, PrivateAnonymous | 0x2000).CanBeLazy); // MAP_LOCKED
        Assert.False(new MemoryArea(0, Page, 0x02).CanBeLazy); // a private file mapping
        Assert.False(new MemoryArea(0, Page, 0x21).CanBeLazy); // MAP_SHARED | MAP_ANONYMOUS
        Assert.False(new MemoryArea(0, Page, PrivateAnonymous, Status: 1 << 3).CanBeLazy); // VMA_AREA_VDSO
        Assert.True(new MemoryArea(0, Page, PrivateAnonymous | MemoryArea.GrowsDown, Status: 1 << 1).CanBeLazy); // a stack
    }

    private const uint PrivateAnonymous = 0x22; // MAP_PRIVATE | MAP_ANONYMOUS

    /// <summary>A task of these mappings (private anonymous where no flags are given) and pagemap runs.</summary>
    internal static LazyTask Task(IReadOnlyList<MemoryArea> mappings, params (ulong Address, long Pages, bool Lazy)[] runs)
    {
        byte[] pagemap = new PagemapImage(1, runs.Select(r => new PagemapEntry(r.Address, (ulong)r.Pages, PagemapEntry.Present | (r.Lazy ? PagemapEntry.Lazy : 0))).ToList()).Encode();
        return LazyTask.Create(1, Pagemap.Parse(pagemap), [.. mappings.Select(m => m.Flags == 0 ? m with { Flags = PrivateAnonymous } : m)],
            new UserfaultFile(new SafeFileHandle(-1, ownsHandle: false)));
    }
}

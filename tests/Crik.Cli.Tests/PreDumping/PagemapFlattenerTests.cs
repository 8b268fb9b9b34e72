using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.PreDumping;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.PreDumping;

/// <summary>
/// A dump on top of pre-dumps names pages "in parent"; made whole, its pages image must hold every
/// page as the app had it at the dump, gathered from whichever level holds it.
/// </summary>
public sealed class PagemapFlattenerTests : IDisposable
{
    private static readonly int Page = Environment.SystemPageSize;
    private const string Name = PreDumpImages.Name;

    private readonly List<PreDumpImages.HeldChain> _held = [];

    public void Dispose() => _held.ForEach(h => h.Dispose());

    private List<DirectoryHandle> Held(params string[] directories)
    {
        _held.Add(PreDumpImages.Hold(directories));
        return _held[^1].Directories;
    }

    [Fact]
    public void PagesInParentsAreGatheredFromTheLevelThatHoldsThem()
    {
        using var dirs = new TempDirectory();
        const ulong a = 0x10000000, b = 0x20000000;
        // pre-1: whole (two mappings of 4 and 2 pages). pre-2: pages 1-2 of A changed. dump: page 2 of A and page 0 of B changed.
        string pre1 = PreDumpImages.Level(dirs, "pre-1", 11, [(a, 4, PagemapEntry.Present, 'A'), (b, 2, PagemapEntry.Present, 'B')]);
        string pre2 = PreDumpImages.Level(dirs, "pre-2", 12, [(a, 1, PagemapEntry.InParent, ' '), (a + 1 * (ulong)Page, 2, PagemapEntry.Present, 'C'),
            (a + 3 * (ulong)Page, 1, PagemapEntry.InParent, ' '), (b, 2, PagemapEntry.InParent, ' ')]);
        string dump = PreDumpImages.Level(dirs, "dump", 13, [(a, 2, PagemapEntry.InParent, ' '), (a + 2 * (ulong)Page, 1, PagemapEntry.Present, 'D'),
            (a + 3 * (ulong)Page, 1, PagemapEntry.InParent, ' '), (b, 1, PagemapEntry.Present, 'E'), (b + (ulong)Page, 1, PagemapEntry.InParent, ' ')]);

        FlatPagemap flat = PagemapFlattener.Flatten(Name, Held(dump, pre2, pre1));

        Assert.Equal(13u, flat.Pagemap.PagesId);
        Assert.All(flat.Pagemap.Entries, e => Assert.Equal(PagemapEntry.Present, e.Flags));
        Assert.Equal(6 * Page, flat.PagesLength);
        // A: page 0 from pre-1, page 1 from pre-2, page 2 from the dump, page 3 from pre-1; B: page 0 from the dump, page 1 from pre-1.
        Assert.Equal("A0 C1 D2 A3 E0 B1", PreDumpImages.Describe(PreDumpImages.Read(flat)));
        // The new pagemap reads back as written.
        Assert.Equal(flat.Pagemap.Entries, PagemapImage.Parse(flat.Pagemap.Encode()).Entries);
    }

    [Fact]
    public void TheChainIsReadThroughItsHandlesNotItsPaths()
    {
        using var dirs = new TempDirectory();
        string pre1 = PreDumpImages.Level(dirs, "pre-1", 1, [(0x400000, 2, PagemapEntry.Present, 'A')]);
        string dump = PreDumpImages.Level(dirs, "dump", 2, [(0x400000, 1, PagemapEntry.InParent, ' '), (0x401000, 1, PagemapEntry.Present, 'B')]);
        List<DirectoryHandle> chain = Held(dump, pre1);
        // Renamed, and the old name taken by a link to a pre-dump whose pages are all wrong.
        string wrong = PreDumpImages.Level(dirs, "wrong", 1, [(0x400000, 2, PagemapEntry.Present, 'X')]);
        Directory.Move(pre1, pre1 + "-moved");
        File.CreateSymbolicLink(pre1, wrong);
        FlatPagemap flat = PagemapFlattener.Flatten(Name, chain);
        Assert.Equal("A0 B1", PreDumpImages.Describe(PreDumpImages.Read(flat)));
    }

    [Fact]
    public void AWholeDumpStaysAsItIs()
    {
        using var dirs = new TempDirectory();
        string dump = PreDumpImages.Level(dirs, "dump", 3, [(0x10000000, 3, PagemapEntry.Present, 'X')]);
        FlatPagemap flat = PagemapFlattener.Flatten(Name, Held(dump));
        Assert.Equal("X0 X1 X2", PreDumpImages.Describe(PreDumpImages.Read(flat)));
        Assert.Single(flat.Pages); // one range of the dump's own file: nothing is copied
    }

    [Fact]
    public void APageNoLevelHoldsIsAnErrorNotAHole()
    {
        using var dirs = new TempDirectory();
        string pre1 = PreDumpImages.Level(dirs, "pre-1", 1, [(0x400000, 1, PagemapEntry.Present, 'A')]);
        string dump = PreDumpImages.Level(dirs, "dump", 2, [(0x400000, 2, PagemapEntry.InParent, ' ')]);
        var e = Assert.Throws<IOException>(() => PagemapFlattener.Flatten(Name, Held(dump, pre1)));
        Assert.Contains("0x401000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PagesInAParentThatIsNotThereAreAnError()
    {
        using var dirs = new TempDirectory();
        string dump = PreDumpImages.Level(dirs, "dump", 2, [(0x400000, 1, PagemapEntry.InParent, ' ')]);
        Assert.Throws<IOException>(() => PagemapFlattener.Flatten(Name, Held(dump)));
        string empty = Directory.CreateDirectory(Path.Combine(dirs.Path, "pre-1")).FullName;
        Assert.Throws<IOException>(() => PagemapFlattener.Flatten(Name, Held(dump, empty)));
    }

    [Fact]
    public void APagesImageCutShortIsAnError()
    {
        using var dirs = new TempDirectory();
        string dump = PreDumpImages.Level(dirs, "dump", 2, [(0x400000, 4, PagemapEntry.Present, 'A')]);
        using (var pages = new FileStream(Path.Combine(dump, "pages-2.img"), FileMode.Open))
        {
            pages.SetLength(2 * Page);
        }
        var e = Assert.Throws<IOException>(() => PagemapFlattener.Flatten(Name, Held(dump)));
        Assert.Contains("shorter", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileThatIsNotAPagemapIsRefusedInOneLine()
    {
        using var dirs = new TempDirectory();
        string dump = Path.Combine(dirs.Path, "dump");
        Directory.CreateDirectory(dump);
        File.WriteAllBytes(Path.Combine(dump, Name), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var e = Assert.Throws<IOException>(() => PagemapFlattener.Flatten(Name, Held(dump)));
        Assert.Contains("not a pagemap image", e.Message, StringComparison.Ordinal);
    }
}

using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.PreDumping;
using Crik.Cli.Records;
using Crik.Cli.Streaming;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.PreDumping;

/// <summary>A dump written to files on top of pre-dumps becomes a generation that needs nothing but its own chunks.</summary>
public class ImageImportTests
{
    private static readonly int Page = Environment.SystemPageSize;

    [Fact]
    public void TheDumpIsStoredWholeAndItsOtherImagesAsTheyAre()
    {
        using var dirs = new TempDirectory();
        const ulong a = 0x10000000;
        string pre = PreDumpImages.Level(dirs, "pre-1", 1, [(a, 3, PagemapEntry.Present, 'A')]);
        string dump = PreDumpImages.Level(dirs, "dump-2", 2, [(a, 1, PagemapEntry.InParent, ' '), (a + (ulong)Page, 1, PagemapEntry.Present, 'B'),
            (a + 2 * (ulong)Page, 1, PagemapEntry.InParent, ' ')]);
        byte[] core = System.Security.Cryptography.RandomNumberGenerator.GetBytes(5000);
        File.WriteAllBytes(Path.Combine(dump, "core-1.img"), core);
        File.CreateSymbolicLink(Path.Combine(dump, "parent"), "../pre-1"); // as CRIU leaves it

        CaptureResult result = Import(dirs, [dump, pre], out Func<string, byte[]> stored);

        Assert.Null(result.Error);
        Assert.Equal(["core-1.img", PreDumpImages.Name, "pages-2.img"], result.Images.Select(i => i.Path));
        Assert.Equal(core, stored("core-1.img"));
        PagemapImage pagemap = PagemapImage.Parse(stored(PreDumpImages.Name));
        Assert.Equal([(a, 1UL), (a + (ulong)Page, 1UL), (a + 2 * (ulong)Page, 1UL)], pagemap.Entries.Select(e => (e.Address, e.Pages)));
        Assert.All(pagemap.Entries, e => Assert.Equal(PagemapEntry.Present, e.Flags));
        Assert.Equal("A0 B1 A2", PreDumpImages.Describe(stored("pages-2.img")));
    }

    [Fact]
    public void APageThatIsNowhereFailsTheImportWithItsReasonInsteadOfThrowing()
    {
        using var dirs = new TempDirectory();
        string pre = PreDumpImages.Level(dirs, "pre-1", 1, [(0x10000000, 1, PagemapEntry.Present, 'A')]);
        string dump = PreDumpImages.Level(dirs, "dump-2", 2, [(0x10000000, 2, PagemapEntry.InParent, ' ')]);
        CaptureResult result = Import(dirs, [dump, pre], out _);
        Assert.NotNull(result.Error);
        Assert.Contains("in no image of the pre-dump chain", result.Error, StringComparison.Ordinal);
    }

    /// <summary>Imports into a pack in <paramref name="dirs"/>; <paramref name="stored"/> reads an image back from its chunks.</summary>
    private static CaptureResult Import(TempDirectory dirs, List<string> chain, out Func<string, byte[]> stored)
    {
        string packPath = Path.Combine(dirs.Path, "1.pack");
        CaptureResult result;
        using (var pack = new PackWriter(1, File.OpenHandle(packPath, FileMode.CreateNew, FileAccess.Write), new Dictionary<string, ChunkRef>()))
        {
            using PreDumpImages.HeldChain held = PreDumpImages.Hold([.. chain]);
            result = ImageImport.Import(held.Directories, pack);
        }
        stored = name =>
        {
            ManifestFile image = result.Images.Single(i => i.Path == name);
            using var reader = Crik.Cli.Tests.Chunks.PacksOf.Files(_ => File.OpenHandle(packPath));
            string copy = Path.Combine(dirs.Path, "read-" + name);
            using (var target = File.OpenHandle(copy, FileMode.Create, FileAccess.Write))
            {
                reader.WriteOut(image.Chunks!, null, target);
            }
            return File.ReadAllBytes(copy);
        };
        return result;
    }
}

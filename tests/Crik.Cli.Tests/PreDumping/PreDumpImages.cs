using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.PreDumping;
using Crik.TestSupport;

namespace Crik.Cli.Tests.PreDumping;

/// <summary>Pagemap and pages images made by hand, as CRIU writes them, for a dump and the pre-dumps under it.</summary>
internal static class PreDumpImages
{
    public const string Name = "pagemap-7.img";

    private static readonly int Page = Environment.SystemPageSize;

    /// <summary>Writes a pagemap and its pages image; each present page is filled with its mapping's letter and its page number within that run.</summary>
    public static string Level(TempDirectory dirs, string name, uint pagesId, (ulong Address, ulong Pages, uint Flags, char Fill)[] entries)
    {
        string dir = Path.Combine(dirs.Path, name);
        Directory.CreateDirectory(dir);
        var image = new PagemapImage(pagesId, entries.Select(e => new PagemapEntry(e.Address, e.Pages, e.Flags)).ToList());
        File.WriteAllBytes(Path.Combine(dir, Name), image.Encode());
        using var pages = File.Create(Path.Combine(dir, image.PagesName));
        foreach (var entry in entries.Where(e => (e.Flags & PagemapEntry.Present) != 0))
        {
            // The page number within the mapping, so that a page read from the wrong place shows.
            ulong firstPage = (entry.Address & 0xFFFFFFF) / (ulong)Page;
            for (ulong i = 0; i < entry.Pages; i++)
            {
                var bytes = new byte[Page];
                bytes[0] = (byte)entry.Fill;
                bytes[1] = (byte)('0' + (int)(firstPage + i));
                pages.Write(bytes);
            }
        }
        return dir;
    }

    /// <summary>The directories of a chain, held open as crik holds them, dump first.</summary>
    public static HeldChain Hold(params string[] directories) => new(directories.Select(DirectoryHandle.OpenOrCreate).ToList());

    public sealed class HeldChain(List<DirectoryHandle> directories) : IDisposable
    {
        public List<DirectoryHandle> Directories => directories;

        public void Dispose() => directories.ForEach(d => d.Dispose());
    }

    public static byte[] Read(FlatPagemap flat)
    {
        using var stream = new SegmentStream(flat.Pages);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static string Describe(byte[] pages) =>
        string.Join(' ', Enumerable.Range(0, pages.Length / Page).Select(i => $"{(char)pages[i * Page]}{(char)pages[i * Page + 1]}"));
}

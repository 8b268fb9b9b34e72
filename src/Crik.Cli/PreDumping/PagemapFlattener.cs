using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.PreDumping;

/// <summary>
/// Turns one pagemap of a dump taken on top of pre-dumps into a whole one: every entry present, its
/// pages read from whichever image of the chain holds them (the dump's own, or a parent's, however
/// deep). The result names the bytes of the new pages image as ranges of the chain's files, so
/// nothing is copied until it is read.
/// </summary>
internal static class PagemapFlattener
{
    /// <param name="name">The pagemap's file name, the same in every directory of the chain.</param>
    /// <param name="chain">The dump's directory first, then its parent, its parent's parent, and so on.</param>
    public static FlatPagemap Flatten(string name, IReadOnlyList<DirectoryHandle> chain)
    {
        var levels = new Level?[chain.Count];
        Level Open(int depth)
        {
            if (depth >= chain.Count)
            {
                throw new IOException($"{name}: pages are marked as in a parent pre-dump, but there is none left in the chain");
            }
            return levels[depth] ??= Level.Open(chain[depth], name);
        }

        Level top = Open(0);
        var segments = new List<FileSegment>();
        var entries = new List<PagemapEntry>();
        foreach (PagemapEntry entry in top.Image.Entries)
        {
            Resolve(0, entry.Address, entry.Pages, segments, Open, name);
            entries.Add(entry with { Flags = PagemapEntry.Present });
        }
        return new FlatPagemap(new PagemapImage(top.Image.PagesId, entries), segments);
    }

    private static void Resolve(int depth, ulong address, ulong pages, List<FileSegment> segments, Func<int, Level> open, string name)
    {
        Level level = open(depth);
        while (pages > 0)
        {
            (PagemapEntry entry, long offset) = level.Find(address)
                ?? throw new IOException($"{name}: the page at 0x{address:x} is in no image of the pre-dump chain ({level.Directory.Path})");
            ulong take = Math.Min(pages, entry.Pages - (address - entry.Address) / PageBytes);
            if (entry.IsInParent)
            {
                Resolve(depth + 1, address, take, segments, open, name);
            }
            else if (entry.IsPresent)
            {
                long start = offset + (long)(address - entry.Address);
                long length = (long)(take * PageBytes);
                if (start + length > level.PagesLength)
                {
                    throw new IOException($"{name}: {level.Directory.PathOf(level.Image.PagesName)} is shorter than its pagemap says (a pre-dump was cut short)");
                }
                Add(segments, new FileSegment(level.Directory, level.Image.PagesName, start, length));
            }
            else
            {
                throw new IOException($"{name}: the pages at 0x{address:x} are neither present nor in a parent (flags {entry.Flags})");
            }
            address += take * PageBytes;
            pages -= take;
        }
    }

    private static void Add(List<FileSegment> segments, FileSegment next)
    {
        if (segments.Count > 0 && segments[^1] is var last && last.Directory == next.Directory && last.Name == next.Name && last.Offset + last.Length == next.Offset)
        {
            segments[^1] = last with { Length = last.Length + next.Length };
            return;
        }
        segments.Add(next);
    }

    private static ulong PageBytes => (ulong)ImagePage.Bytes;

    /// <summary>One directory's pagemap, its entries by address, and where each present entry's pages start.</summary>
    private sealed class Level
    {
        private readonly PagemapEntry[] _byAddress;
        private readonly long[] _offsets;

        private Level(DirectoryHandle directory, PagemapImage image, long pagesLength)
        {
            Directory = directory;
            Image = image;
            PagesLength = pagesLength;
            var offsets = new long[image.Entries.Count];
            long offset = 0;
            for (int i = 0; i < offsets.Length; i++)
            {
                offsets[i] = offset;
                if (image.Entries[i].IsPresent)
                {
                    offset += (long)image.Entries[i].Pages * (long)PageBytes;
                }
            }
            int[] order = Enumerable.Range(0, offsets.Length).OrderBy(i => image.Entries[i].Address).ToArray();
            _byAddress = order.Select(i => image.Entries[i]).ToArray();
            _offsets = order.Select(i => offsets[i]).ToArray();
        }

        public DirectoryHandle Directory { get; }

        public PagemapImage Image { get; }

        public long PagesLength { get; }

        public static Level Open(DirectoryHandle directory, string name)
        {
            using SafeFileHandle file = directory.TryOpenFile(name)
                ?? throw new IOException($"{name}: its pages are marked as in a parent pre-dump, but {directory.Path} has no such image");
            PagemapImage image = PagemapImage.Read(file, directory.PathOf(name));
            long length = directory.Stat(image.PagesName) is { Kind: FileKind.Regular } pages ? pages.Size : 0;
            return new Level(directory, image, length);
        }

        /// <summary>The entry whose pages include <paramref name="address"/>, and where its pages start in the pages image.</summary>
        public (PagemapEntry Entry, long Offset)? Find(ulong address)
        {
            int low = 0, high = _byAddress.Length - 1;
            while (low <= high)
            {
                int middle = (low + high) / 2;
                PagemapEntry entry = _byAddress[middle];
                if (address < entry.Address)
                {
                    high = middle - 1;
                }
                else if (address >= entry.Address + entry.Pages * PageBytes)
                {
                    low = middle + 1;
                }
                else
                {
                    return (entry, _offsets[middle]);
                }
            }
            return null;
        }
    }
}

/// <summary>A byte range of the file <paramref name="Name"/> in a directory crik holds.</summary>
internal readonly record struct FileSegment(DirectoryHandle Directory, string Name, long Offset, long Length);

/// <summary>A whole pagemap and where the bytes of its pages image are.</summary>
internal sealed record FlatPagemap(PagemapImage Pagemap, IReadOnlyList<FileSegment> Pages)
{
    public long PagesLength => Pages.Sum(s => s.Length);
}

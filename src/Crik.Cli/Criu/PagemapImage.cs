using System.Buffers.Binary;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Criu;

/// <summary>One run of pages in a CRIU pagemap image (CRIU's pagemap_entry message).</summary>
internal readonly record struct PagemapEntry(ulong Address, ulong Pages, uint Flags)
{
    /// <summary>The pages are in the parent (pre-dump) images, not in this dump's pages image.</summary>
    public const uint InParent = 1;
    /// <summary>CRIU may leave these pages for a lazy-pages daemon (crik) (private anonymous memory).</summary>
    public const uint Lazy = 2;
    /// <summary>The pages are in this dump's pages image, in entry order.</summary>
    public const uint Present = 4;

    public bool IsInParent => (Flags & InParent) != 0;

    public bool IsLazy => (Flags & Lazy) != 0;

    public bool IsPresent => (Flags & Present) != 0;
}

/// <summary>
/// A CRIU pagemap image (<c>pagemap-ID.img</c>, <c>pagemap-shmem-ID.img</c>): which pages of a
/// process (or a shared memory segment) a dump holds and where. The pages themselves are in
/// <c>pages-PAGESID.img</c>, one after another in entry order, for the entries that are present.
/// Only the few protobuf fields CRIU defines for these two messages are read; others are skipped.
/// </summary>
internal sealed record PagemapImage(uint PagesId, IReadOnlyList<PagemapEntry> Entries)
{
    private const uint PagemapMagic = 0x56084025;

    /// <summary>
    /// Far above any real pagemap (a few bytes per run of pages: millions of runs fit), and small
    /// enough that a damaged length cannot have crik allocate the node's memory.
    /// </summary>
    private const long MaxImageBytes = 256L << 20;

    public string PagesName => $"pages-{PagesId}.img";

    public static bool IsPagemapName(string name) =>
        name.StartsWith("pagemap-", StringComparison.Ordinal) && name.EndsWith(".img", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="name"/> is a pages image's (pages-ID.img), which holds the bytes of the pages a pagemap lists.</summary>
    public static bool IsPagesName(string name) =>
        name.StartsWith("pages-", StringComparison.Ordinal) && name.EndsWith(".img", StringComparison.Ordinal);

    /// <summary>
    /// The same pages in as few entries as hold them: entries that follow one another in memory with the same flags become
    /// one. The pages stay where they are in the pages image (in entry order), and CRIU cuts an entry where a mapping ends,
    /// whether it restores its pages or leaves them lazy. A checkpoint of what the app wrote lists a run for each stretch
    /// of pages written and not written, tens of thousands where the writes were scattered, each read, logged and passed
    /// over by CRIU's restore one by one (0.15 s of 0.30 s for 52,000), and each an area of crik's fill.
    /// </summary>
    public PagemapImage Merged()
    {
        var merged = new List<PagemapEntry>(Entries.Count);
        foreach (PagemapEntry entry in Entries)
        {
            if (merged.Count > 0 && merged[^1] is var last && last.Flags == entry.Flags
                && last.Address + (last.Pages * (ulong)ImagePage.Bytes) == entry.Address && last.Pages + entry.Pages <= uint.MaxValue)
            {
                merged[^1] = last with { Pages = last.Pages + entry.Pages };
            }
            else
            {
                merged.Add(entry);
            }
        }
        return merged.Count == Entries.Count ? this : this with { Entries = merged };
    }

    /// <param name="path">Where <paramref name="file"/> is, for messages.</param>
    public static PagemapImage Read(SafeFileHandle file, string path)
    {
        try
        {
            long length = RandomAccess.GetLength(file);
            if (length > MaxImageBytes)
            {
                throw new FormatException($"it is {length} bytes long, more than any pagemap of an app's memory");
            }
            return Parse(FileContents.Read(file, length));
        }
        catch (FormatException e)
        {
            throw new IOException($"{path} is not a pagemap image crik can read: {e.Message}", e);
        }
    }

    /// <summary>Reads a pagemap image; throws <see cref="FormatException"/> for one that is not (or is damaged).</summary>
    public static PagemapImage Parse(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != ImageWire.CommonMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(image[4..]) != PagemapMagic)
        {
            throw new FormatException("its magic numbers are not a pagemap's");
        }
        var reader = new ImageMessageReader(image[8..]);
        if (!reader.Next(out ReadOnlySpan<byte> head))
        {
            throw new FormatException("it has no head");
        }
        uint pagesId = 0;
        var fields = new ProtobufFieldReader(head);
        while (fields.Next(out int field, out ulong value))
        {
            if (field == 1)
            {
                pagesId = checked((uint)value);
            }
        }
        var entries = new List<PagemapEntry>();
        while (reader.Next(out ReadOnlySpan<byte> message))
        {
            entries.Add(ParseEntry(message));
        }
        return new PagemapImage(pagesId, entries);
    }

    /// <summary>The image as CRIU writes it: magic numbers, then each message after its 32-bit length.</summary>
    public byte[] Encode()
    {
        var output = new MemoryStream();
        ImageWire.WriteMagic(output, PagemapMagic);
        ImageWire.WriteMessage(output, [(1, PagesId)]);
        foreach (PagemapEntry entry in Entries)
        {
            // compat_nr_pages is required by the schema; CRIU itself writes 0 there and the count in nr_pages.
            ImageWire.WriteMessage(output, [(1, entry.Address), (2, 0), (4, entry.Flags), (5, entry.Pages)]);
        }
        return output.ToArray();
    }

    private static PagemapEntry ParseEntry(ReadOnlySpan<byte> message)
    {
        ulong address = 0, compatPages = 0, pages = 0;
        bool inParent = false, hasFlags = false, hasPages = false;
        uint flags = 0;
        var fields = new ProtobufFieldReader(message);
        while (fields.Next(out int field, out ulong value))
        {
            switch (field)
            {
                case 1: address = value; break;
                case 2: compatPages = value; break;
                case 3: inParent = value != 0; break;
                case 4: flags = checked((uint)value); hasFlags = true; break;
                case 5: pages = value; hasPages = true; break;
            }
        }
        // As CRIU reads images of its older versions: in_parent, or no flags at all meaning present.
        if (inParent)
        {
            flags |= PagemapEntry.InParent;
        }
        else if (!hasFlags)
        {
            flags = PagemapEntry.Present;
        }
        return new PagemapEntry(address, hasPages ? pages : compatPages, flags);
    }
}

// PreDumping/ owns CRIU's pre-dumps (where the kernel tracks dirty memory) and turning a dump on top
// of them into whole images: crik's generations never depend on files that live only on one node.
using System.Buffers.Binary;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.PreDumping;

/// <summary>One run of pages in a CRIU pagemap image (CRIU's pagemap_entry message).</summary>
internal readonly record struct PagemapEntry(ulong Address, ulong Pages, uint Flags)
{
    /// <summary>The pages are in the parent (pre-dump) images, not in this dump's pages image.</summary>
    public const uint InParent = 1;
    public const uint Lazy = 2;
    /// <summary>The pages are in this dump's pages image, in entry order.</summary>
    public const uint Present = 4;

    public bool IsInParent => (Flags & InParent) != 0;

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
    private const uint CommonMagic = 0x54564319;
    private const uint PagemapMagic = 0x56084025;

    /// <summary>
    /// Far above any real pagemap (a few bytes per run of pages: millions of runs fit), and small
    /// enough that a damaged length cannot have crik allocate the node's memory.
    /// </summary>
    private const long MaxImageBytes = 256L << 20;

    public string PagesName => $"pages-{PagesId}.img";

    public static bool IsPagemapName(string name) =>
        name.StartsWith("pagemap-", StringComparison.Ordinal) && name.EndsWith(".img", StringComparison.Ordinal);

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

    public static PagemapImage Parse(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != CommonMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(image[4..]) != PagemapMagic)
        {
            throw new FormatException("its magic numbers are not a pagemap's");
        }
        var reader = new MessageReader(image[8..]);
        if (!reader.Next(out ReadOnlySpan<byte> head))
        {
            throw new FormatException("it has no head");
        }
        uint pagesId = 0;
        var fields = new FieldReader(head);
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
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, CommonMagic);
        output.Write(word);
        BinaryPrimitives.WriteUInt32LittleEndian(word, PagemapMagic);
        output.Write(word);
        WriteMessage(output, [(1, PagesId)]);
        foreach (PagemapEntry entry in Entries)
        {
            // compat_nr_pages is required by the schema; CRIU itself writes 0 there and the count in nr_pages.
            WriteMessage(output, [(1, entry.Address), (2, 0), (4, entry.Flags), (5, entry.Pages)]);
        }
        return output.ToArray();
    }

    private static PagemapEntry ParseEntry(ReadOnlySpan<byte> message)
    {
        ulong address = 0, compatPages = 0, pages = 0;
        bool inParent = false, hasFlags = false, hasPages = false;
        uint flags = 0;
        var fields = new FieldReader(message);
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

    private static void WriteMessage(Stream output, (int Field, ulong Value)[] fields)
    {
        Span<byte> body = stackalloc byte[fields.Length * 11];
        int length = 0;
        foreach ((int field, ulong value) in fields)
        {
            length += WriteVarint(body[length..], (ulong)field << 3);
            length += WriteVarint(body[length..], value);
        }
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)length);
        output.Write(size);
        output.Write(body[..length]);
    }

    private static int WriteVarint(Span<byte> into, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            into[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        into[i++] = (byte)value;
        return i;
    }

    /// <summary>CRIU's framing: a 32-bit little-endian length, then that many bytes of protobuf.</summary>
    private ref struct MessageReader(ReadOnlySpan<byte> rest)
    {
        private ReadOnlySpan<byte> _rest = rest;

        public bool Next(out ReadOnlySpan<byte> message)
        {
            message = default;
            if (_rest.IsEmpty)
            {
                return false;
            }
            if (_rest.Length < 4)
            {
                throw new FormatException("it ends inside a message length");
            }
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
            if (length > _rest.Length - 4)
            {
                throw new FormatException("it ends inside a message");
            }
            message = _rest.Slice(4, (int)length);
            _rest = _rest[(4 + (int)length)..];
            return true;
        }
    }

    /// <summary>The numeric fields of one protobuf message; other wire types are skipped.</summary>
    private ref struct FieldReader(ReadOnlySpan<byte> message)
    {
        private ReadOnlySpan<byte> _rest = message;

        public bool Next(out int field, out ulong value)
        {
            while (!_rest.IsEmpty)
            {
                ulong key = ReadVarint();
                field = (int)(key >> 3);
                switch ((int)(key & 7))
                {
                    case 0:
                        value = ReadVarint();
                        return true;
                    case 1:
                        Skip(8);
                        break;
                    case 2:
                        Skip(checked((int)ReadVarint()));
                        break;
                    case 5:
                        Skip(4);
                        break;
                    default:
                        throw new FormatException($"field {field} has wire type {key & 7}");
                }
            }
            field = 0;
            value = 0;
            return false;
        }

        private void Skip(int count)
        {
            if (count > _rest.Length)
            {
                throw new FormatException("a field runs past its message");
            }
            _rest = _rest[count..];
        }

        private ulong ReadVarint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_rest.IsEmpty)
                {
                    throw new FormatException("a number runs past its message");
                }
                byte b = _rest[0];
                _rest = _rest[1..];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
            throw new FormatException("a number is longer than 64 bits");
        }
    }
}

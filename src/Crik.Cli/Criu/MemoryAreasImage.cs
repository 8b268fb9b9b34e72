using System.Buffers.Binary;

namespace Crik.Cli.Criu;

/// <summary>One mapping of a process at dump time: [Start, End), with its mmap flags (MAP_*) and CRIU's status bits (VMA_*).</summary>
internal readonly record struct MemoryArea(ulong Start, ulong End, uint Flags = 0, uint Status = 0)
{
    public const uint GrowsDown = 0x100; // MAP_GROWSDOWN

    private const uint Private = 0x02, Anonymous = 0x20, Locked = 0x2000, HugeTlb = 0x40000; // MAP_*
    private const uint Regular = 1 << 0, Heap = 1 << 5, AnonPrivate = 1 << 9; // CRIU's VMA_AREA_REGULAR, VMA_AREA_HEAP, VMA_ANON_PRIVATE
    private const uint Vsyscall = 1 << 2, Vdso = 1 << 3; // CRIU's VMA_AREA_VSYSCALL, VMA_AREA_VDSO
    private const uint Guard = 1 << 16; // CRIU's VMA_AREA_GUARD

    /// <summary>
    /// Not a mapping: a run of madvise(MADV_GUARD_INSTALL) pages that CRIU lists as a vma_entry of its own, lying inside
    /// the real mappings (it installs the guards again on restore). It holds no pages.
    /// </summary>
    public bool IsGuard => (Status & Guard) != 0;

    /// <summary>
    /// Whether a restore with --lazy-pages registers this mapping with a userfaultfd (CRIU's vma_entry_can_be_lazy: private
    /// anonymous, not locked, not huge pages, not the vDSO). A page CRIU is told is lazy anywhere else is neither restored
    /// nor ever asked for: the app would read zeros there.
    /// </summary>
    public bool CanBeLazy =>
        (Flags & (Private | Anonymous)) == (Private | Anonymous) && (Flags & (Locked | HugeTlb)) == 0 && (Status & (Vsyscall | Vdso)) == 0;

    /// <summary>
    /// Plain private anonymous memory (a heap or an mmap, not a stack, huge pages, locked memory or a
    /// special area): two such areas side by side are what one of them split in two would be.
    /// </summary>
    public bool IsPlainAnonymous =>
        (Flags & (Private | Anonymous)) == (Private | Anonymous) && (Flags & (GrowsDown | Locked | HugeTlb)) == 0
        && (Status & (Regular | AnonPrivate)) == (Regular | AnonPrivate) && (Status & ~(Regular | AnonPrivate | Heap)) == 0;
}

/// <summary>A process's memory at dump time: its mappings, and which executable it ran (CRIU's file id).</summary>
internal sealed record MmImage(uint ExeFileId, IReadOnlyList<MemoryArea> Areas);

/// <summary>
/// The mappings a CRIU mm image (<c>mm-PID.img</c>) lists for one process (mm_entry's repeated
/// vma_entry, field 14; each with start = 1, end = 2 and flags = 6), in address order, and the
/// executable's file id (exe_file_id, field 12). A restored process has the mappings at the same
/// addresses, and a copy into its memory must stay inside one of them.
/// </summary>
internal static class MemoryAreasImage
{
    private const uint MmMagic = 0x57492820;
    private const int ExeFileIdField = 12, VmasField = 14, StartField = 1, EndField = 2, PageOffsetField = 3, FlagsField = 6, StatusField = 7;

    public static IReadOnlyList<MemoryArea> Parse(ReadOnlySpan<byte> image) => ParseImage(image).Areas;

    public static MmImage ParseImage(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != ImageWire.CommonMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(image[4..]) != MmMagic)
        {
            throw new FormatException("it does not start as a CRIU mm image");
        }
        var messages = new ImageMessageReader(image[8..]);
        if (!messages.Next(out ReadOnlySpan<byte> mm))
        {
            throw new FormatException("it holds no mm entry");
        }
        uint exeFileId = 0;
        var numbers = new ProtobufFieldReader(mm);
        while (numbers.Next(out int field, out ulong value))
        {
            if (field == ExeFileIdField)
            {
                exeFileId = unchecked((uint)value);
            }
        }
        var areas = new List<MemoryArea>();
        var fields = new ProtobufFieldReader(mm);
        while (fields.NextEmbedded(VmasField, out ReadOnlySpan<byte> vma))
        {
            // Guard regions overlap the mappings they lie in; every user of these areas takes them as mappings in address
            // order, none overlapping (LazyTask.Create searches them by start), so they are left out here.
            if (ParseArea(vma) is { IsGuard: false } area)
            {
                areas.Add(area);
            }
        }
        areas.Sort((a, b) => a.Start.CompareTo(b.Start));
        return new MmImage(exeFileId, areas);
    }

    private static MemoryArea ParseArea(ReadOnlySpan<byte> vma)
    {
        ulong start = 0, end = 0;
        uint flags = 0, status = 0;
        var vmaFields = new ProtobufFieldReader(vma);
        while (vmaFields.Next(out int field, out ulong value))
        {
            switch (field)
            {
                case StartField: start = value; break;
                case EndField: end = value; break;
                case FlagsField: flags = unchecked((uint)value); break;
                case StatusField: status = unchecked((uint)value); break;
            }
        }
        if (end <= start)
        {
            throw new FormatException($"a mapping ends (0x{end:x}) before it starts (0x{start:x})");
        }
        return new MemoryArea(start, end, flags, status);
    }

    /// <summary>
    /// The same image with each mapping that an address of <paramref name="cuts"/> falls strictly inside
    /// split there into mappings side by side, each with the fields of the one it came from (its page
    /// offset moved on with its start). Only for plain anonymous areas (<see cref="MemoryArea.IsPlainAnonymous"/>):
    /// the caller chooses the cuts. Every other field and message is copied as it was.
    /// </summary>
    public static byte[] Split(ReadOnlySpan<byte> image, IReadOnlyList<ulong> cuts)
    {
        ParseImage(image); // throws FormatException for what is not an mm image
        var messages = new ImageMessageReader(image[8..]);
        messages.Next(out ReadOnlySpan<byte> mm);
        var output = new MemoryStream();
        output.Write(image[..8]);
        var rewritten = new MemoryStream();
        var fields = new ProtobufRawFields(mm);
        while (fields.Next(out int field, out int wire, out ReadOnlySpan<byte> raw, out ReadOnlySpan<byte> payload))
        {
            if (field == VmasField && wire == 2)
            {
                foreach (byte[] piece in SplitArea(payload, cuts))
                {
                    ImageWire.WriteEmbedded(rewritten, VmasField, piece);
                }
            }
            else
            {
                rewritten.Write(raw);
            }
        }
        ImageWire.WriteLengthPrefixed(output, rewritten.ToArray());
        while (messages.Next(out ReadOnlySpan<byte> more))
        {
            ImageWire.WriteLengthPrefixed(output, more);
        }
        return output.ToArray();
    }

    private static bool OnlyNumbers(ReadOnlySpan<byte> message)
    {
        var fields = new ProtobufRawFields(message);
        while (fields.Next(out _, out int wire, out _, out _))
        {
            if (wire != 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>One vma_entry, or the pieces it splits into at <paramref name="cuts"/> (all its fields are numbers).</summary>
    private static List<byte[]> SplitArea(ReadOnlySpan<byte> vma, IReadOnlyList<ulong> cuts)
    {
        MemoryArea area = ParseArea(vma);
        var fields = new List<(int Field, ulong Value)>();
        var numbers = new ProtobufFieldReader(vma);
        while (numbers.Next(out int field, out ulong value))
        {
            fields.Add((field, value));
        }
        var starts = cuts.Where(c => c > area.Start && c < area.End).Order().Prepend(area.Start).Distinct().ToList();
        if (starts.Count == 1 || !OnlyNumbers(vma))
        {
            return [vma.ToArray()];
        }
        var pieces = new List<byte[]>();
        for (int i = 0; i < starts.Count; i++)
        {
            ulong start = starts[i], end = i + 1 < starts.Count ? starts[i + 1] : area.End;
            pieces.Add(ImageWire.EncodeNumbers(fields.Select(f => f.Field switch
            {
                StartField => (f.Field, start),
                EndField => (f.Field, end),
                PageOffsetField => (f.Field, f.Value + (start - area.Start)),
                _ => f,
            })));
        }
        return pieces;
    }
}

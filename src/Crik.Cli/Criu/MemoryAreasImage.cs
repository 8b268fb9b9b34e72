using System.Buffers.Binary;

namespace Crik.Cli.Criu;

/// <summary>One mapping of a process at dump time: [Start, End).</summary>
internal readonly record struct MemoryArea(ulong Start, ulong End);

/// <summary>
/// The mappings a CRIU mm image (<c>mm-PID.img</c>) lists for one process (mm_entry's repeated
/// vma_entry, field 14; each with start = 1 and end = 2), in address order. A restored process has
/// them at the same addresses, and a copy into its memory must stay inside one of them.
/// </summary>
internal static class MemoryAreasImage
{
    private const uint MmMagic = 0x57492820;
    private const int VmasField = 14, StartField = 1, EndField = 2;

    public static IReadOnlyList<MemoryArea> Parse(ReadOnlySpan<byte> image)
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
        var areas = new List<MemoryArea>();
        var fields = new ProtobufFieldReader(mm);
        while (fields.NextEmbedded(VmasField, out ReadOnlySpan<byte> vma))
        {
            ulong start = 0, end = 0;
            var vmaFields = new ProtobufFieldReader(vma);
            while (vmaFields.Next(out int field, out ulong value))
            {
                if (field == StartField)
                {
                    start = value;
                }
                else if (field == EndField)
                {
                    end = value;
                }
            }
            if (end <= start)
            {
                throw new FormatException($"a mapping ends (0x{end:x}) before it starts (0x{start:x})");
            }
            areas.Add(new MemoryArea(start, end));
        }
        areas.Sort((a, b) => a.Start.CompareTo(b.Start));
        return areas;
    }
}

namespace Crik.Cli.Criu;

/// <summary>
/// Where a thread's stack pointer was when it was dumped, from its core image (<c>core-TID.img</c>): a core_entry whose
/// thread_info (2, x86-64) holds gpregs (2) with sp (20), or whose ti_aarch64 (8) holds gpregs (3) with sp (2). CRIU's dump
/// never marks the page it points into as lazy (a restore's first instructions run there), and neither does crik.
/// </summary>
internal static class StackPointerImage
{
    /// <summary>The stack pointer; null when the image holds no registers of an architecture crik knows. Throws <see cref="FormatException"/> for one that is not a core image.</summary>
    public static ulong? Parse(ReadOnlySpan<byte> image)
    {
        ReadOnlySpan<byte> core = TaskStateImage.CoreEntry(image);
        return Register(core, threadInfo: 2, gpregs: 2, sp: 20) ?? Register(core, threadInfo: 8, gpregs: 3, sp: 2);
    }

    private static ulong? Register(ReadOnlySpan<byte> core, int threadInfo, int gpregs, int sp)
    {
        if (!new ProtobufFieldReader(core).NextEmbedded(threadInfo, out ReadOnlySpan<byte> info)
            || !new ProtobufFieldReader(info).NextEmbedded(gpregs, out ReadOnlySpan<byte> registers))
        {
            return null;
        }
        var fields = new ProtobufFieldReader(registers);
        while (fields.Next(out int field, out ulong value))
        {
            if (field == sp)
            {
                return value;
            }
        }
        return null;
    }
}

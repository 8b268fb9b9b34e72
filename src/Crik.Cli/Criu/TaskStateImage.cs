using System.Buffers.Binary;
using System.Globalization;

namespace Crik.Cli.Criu;

/// <summary>
/// The state a process was dumped in, from its core image (<c>core-PID.img</c>): a core_entry whose
/// task_core_entry (tc = 3) holds task_state (1): alive (1), dead (2, a zombie) or stopped (3, by a
/// SIGSTOP or its kind). CRIU restores a stopped one stopped.
/// </summary>
internal static class TaskStateImage
{
    public const uint Alive = 1, Dead = 2, Stopped = 3;

    private const uint CoreMagic = 0x55053847;

    public static string Name(int pid) => $"core-{pid.ToString(CultureInfo.InvariantCulture)}.img";

    /// <summary>The task_state of a core image; throws <see cref="FormatException"/> for one that is not (or has none).</summary>
    public static uint Parse(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != ImageWire.CommonMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(image[4..]) != CoreMagic)
        {
            throw new FormatException("it does not start as a CRIU core image");
        }
        var messages = new ImageMessageReader(image[8..]);
        if (!messages.Next(out ReadOnlySpan<byte> core) || !new ProtobufFieldReader(core).NextEmbedded(3, out ReadOnlySpan<byte> task))
        {
            throw new FormatException("it has no task core entry");
        }
        var fields = new ProtobufFieldReader(task);
        while (fields.Next(out int field, out ulong value))
        {
            if (field == 1)
            {
                return checked((uint)value);
            }
        }
        throw new FormatException("its task core entry has no task_state");
    }
}

using System.Buffers.Binary;

namespace Crik.Cli.Criu;

/// <summary>One process of a dumped tree: its PID and its parent's, as the images number them.</summary>
internal readonly record struct TreeProcess(int Pid, int ParentPid);

/// <summary>
/// CRIU's process tree image (<c>pstree.img</c>): one pstree_entry per process (pid = 1, ppid = 2),
/// parents before their children. Threads and groups are not read.
/// </summary>
internal static class ProcessTreeImage
{
    public const string Name = "pstree.img";

    private const uint PstreeMagic = 0x50273030;

    /// <summary>Reads a pstree image; throws <see cref="FormatException"/> for one that is not (or is damaged).</summary>
    public static IReadOnlyList<TreeProcess> Parse(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != ImageWire.CommonMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(image[4..]) != PstreeMagic)
        {
            throw new FormatException("it does not start as a CRIU pstree image");
        }
        var processes = new List<TreeProcess>();
        var messages = new ImageMessageReader(image[8..]);
        while (messages.Next(out ReadOnlySpan<byte> entry))
        {
            long pid = 0, parent = 0;
            var fields = new ProtobufFieldReader(entry);
            while (fields.Next(out int field, out ulong value))
            {
                if (field == 1)
                {
                    pid = checked((long)value);
                }
                else if (field == 2)
                {
                    parent = checked((long)value);
                }
            }
            processes.Add(new TreeProcess(checked((int)pid), checked((int)parent)));
        }
        return processes;
    }
}

using System.Buffers.Binary;

namespace Crik.Cli.Criu;

/// <summary>One process of a dumped tree: its PID and its parent's, as the images number them.</summary>
internal readonly record struct TreeProcess(int Pid, int ParentPid);

/// <summary>
/// CRIU's process tree image (<c>pstree.img</c>): one pstree_entry per process (pid = 1, ppid = 2),
/// parents before their children, with its threads' IDs (threads = 5). Groups are not read.
/// The first thread is the leader, whose ID is the process's: it is read as that, as CRIU's restore reads it, not from the
/// image. CRIU 4.2 writes that entry only for a live process; for a zombie it writes whatever its memory held.
/// </summary>
internal static class ProcessTreeImage
{
    public const string Name = "pstree.img";

    private const uint PstreeMagic = 0x50273030;

    /// <summary>Reads a pstree image; throws <see cref="FormatException"/> for one that is not (or is damaged).</summary>
    public static IReadOnlyList<TreeProcess> Parse(ReadOnlySpan<byte> image) => Read(image).Select(e => e.Process).ToList();

    /// <summary>
    /// The tree's root (its first process: CRIU writes parents before their children, so the one it dumped comes first) and
    /// every ID a restore gives back, each process's and each of its threads' (a process's first thread has its PID); throws
    /// <see cref="FormatException"/> for an image that is not, is damaged, or lists no process.
    /// </summary>
    public static RestoredIds RootAndIds(ReadOnlySpan<byte> image)
    {
        var entries = Read(image);
        return entries.Count == 0 ? throw new FormatException("it lists no process")
            : new RestoredIds(entries[0].Process.Pid, entries.SelectMany(e => e.Threads.Prepend(e.Process.Pid)).Distinct().Order().ToList());
    }

    /// <summary>Each process's threads, its first (its PID) among them, by PID; throws <see cref="FormatException"/> for an image that is not (or is damaged).</summary>
    public static Dictionary<int, List<int>> Threads(ReadOnlySpan<byte> image) =>
        Read(image).GroupBy(e => e.Process.Pid).ToDictionary(g => g.Key, g => g.SelectMany(e => e.Threads.Prepend(e.Process.Pid)).Distinct().ToList());

    /// <summary>A process or thread ID as the image holds it; throws <see cref="FormatException"/> for one no kernel gives.</summary>
    private static int Id(long value) => value is >= 0 and <= int.MaxValue ? (int)value : throw new FormatException($"it names ID {value}, which no process can have");

    private static List<(TreeProcess Process, List<int> Threads)> Read(ReadOnlySpan<byte> image)
    {
        if (image.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(image) != ImageWire.CommonMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(image[4..]) != PstreeMagic)
        {
            throw new FormatException("it does not start as a CRIU pstree image");
        }
        var processes = new List<(TreeProcess, List<int>)>();
        var messages = new ImageMessageReader(image[8..]);
        while (messages.Next(out ReadOnlySpan<byte> entry))
        {
            long pid = 0, parent = 0;
            bool leaderSeen = false;
            var threads = new List<int>();
            var fields = new ProtobufFieldReader(entry);
            while (fields.Next(out int field, out ulong value))
            {
                switch (field)
                {
                    case 1:
                        pid = (long)Math.Min(value, long.MaxValue);
                        break;
                    case 2:
                        parent = (long)Math.Min(value, long.MaxValue);
                        break;
                    case 5 when !leaderSeen:
                        leaderSeen = true; // the process's own ID stands for it
                        break;
                    case 5:
                        threads.Add(Id((long)Math.Min(value, long.MaxValue)));
                        break;
                }
            }
            processes.Add((new TreeProcess(Id(pid), Id(parent)), threads));
        }
        return processes;
    }
}

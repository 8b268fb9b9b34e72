namespace Crik.Cli.Processes;

/// <summary>
/// The app's tree as read once while it is stopped: its processes, and each one's areas. What a checkpoint takes from the
/// stopped app (its largest area, its IDs, the files it depends on, what it wrote) comes from this one read, not a read of
/// its own each: with the app held, every read of /proc lengthens its stop (a walk of the tree and a read of maps cost
/// 0.2-0.5 ms each on a VM where a syscall is dear).
/// </summary>
internal sealed class HeldTree
{
    /// <summary>Each process's areas, or null where its maps could not be read (it is gone).</summary>
    private readonly Dictionary<int, List<MapsArea>?> _areas;

    private HeldTree(List<int> processes, Dictionary<int, List<MapsArea>?> areas)
    {
        Processes = processes;
        _areas = areas;
    }

    /// <summary>Every process (not thread) of the tree, in PID order.</summary>
    public List<int> Processes { get; }

    /// <summary>The size of the largest private area of any of its processes, in bytes (0 when none could be read).</summary>
    public long LargestPrivateArea => _areas.Values.SelectMany(areas => areas ?? []).Select(MemoryMaps.PrivateSize).DefaultIfEmpty(0).Max();

    /// <summary>Reads the tree rooted at <paramref name="root"/>, which must not run meanwhile.</summary>
    public static HeldTree Read(int root)
    {
        List<int> processes = ProcessTree.Processes(root);
        return new HeldTree(processes, processes.ToDictionary(pid => pid, MemoryMaps.ReadIfThere));
    }

    /// <summary>The areas of <paramref name="pid"/> as read; throws IOException when they could not be read, or it is not of the tree.</summary>
    public List<MapsArea> AreasOf(int pid) =>
        _areas.GetValueOrDefault(pid) ?? throw new IOException($"the memory areas of process {pid} could not be read while the app was stopped");

    /// <summary>The areas of <paramref name="pid"/> as read; none when they could not be read.</summary>
    public List<MapsArea> AreasOrNone(int pid) => _areas.GetValueOrDefault(pid) ?? [];

    /// <summary>Every PID and thread ID of the tree, in order.</summary>
    public List<int> PidsAndThreads() => ProcessTree.PidsAndThreadsOf(Processes);
}

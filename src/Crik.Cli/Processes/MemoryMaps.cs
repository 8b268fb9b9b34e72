namespace Crik.Cli.Processes;

/// <summary>What /proc/PID/maps says about a process's memory areas: the one reader of that file.</summary>
internal static class MemoryMaps
{
    /// <summary>The areas of process <paramref name="pid"/>, in address order; throws IOException when it is gone.</summary>
    public static List<MapsArea> Read(int pid)
    {
        try
        {
            return Parse(File.ReadLines($"/proc/{pid}/maps"));
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            throw new IOException($"process {pid} is gone", e);
        }
    }

    /// <summary>The areas of process <paramref name="pid"/>; none when it is gone or its maps cannot be read.</summary>
    public static List<MapsArea> ReadOrNone(int pid) => Parse(ProcFiles.Lines($"/proc/{pid}/maps"));

    /// <summary>The areas of process <paramref name="pid"/>; null when it is gone or its maps cannot be read.</summary>
    public static List<MapsArea>? ReadIfThere(int pid)
    {
        try
        {
            return Read(pid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A maps line's size when the area is private ("rw-p"), else 0: "7f00-7f80 ---p 00000000 00:00 0" is 0x80.</summary>
    internal static long PrivateAreaSize(string line) => MapsArea.Parse(line) is { } area ? PrivateSize(area) : 0;

    /// <summary>An area's size when it is private, else 0.</summary>
    public static long PrivateSize(MapsArea area) => area.Private ? (long)Math.Min(area.Size, long.MaxValue) : 0;

    private static List<MapsArea> Parse(IEnumerable<string> lines) =>
        [.. lines.Select(MapsArea.Parse).OfType<MapsArea>()];
}

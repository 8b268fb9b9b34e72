using System.Globalization;

namespace Crik.Cli.Interop;

/// <summary>
/// The fields crik reads of a process's or a thread's /proc/PID/status ("Key:\tvalue" lines), read at once; each is
/// null when the file lacks it or it is garbled.
/// </summary>
/// <param name="Tgid">The process a thread belongs to.</param>
/// <param name="PPid">The real parent (a tracer is not one).</param>
/// <param name="SigPnd">The signals pending for the thread.</param>
/// <param name="ShdPnd">The signals pending for the process as a whole.</param>
/// <param name="CapEff">The effective capabilities.</param>
/// <param name="Seccomp">The seccomp mode: 0 none, 1 strict, 2 a filter.</param>
/// <param name="SeccompFilters">How many seccomp filters it has (Seccomp_filters: Linux 5.9).</param>
/// <param name="VmPinKib">How much of its memory is pinned for the kernel or a device to write into at any time (VmPin, in KiB).</param>
internal sealed record ProcStatus(int? Tgid, int? PPid, ulong? SigPnd, ulong? ShdPnd, ulong? CapEff, int? Seccomp, int? SeccompFilters, long? VmPinKib = null)
{
    /// <summary>Reads a status file; throws IOException when it cannot (its process or thread is gone).</summary>
    public static ProcStatus Read(string path) => Parse(File.ReadLines(path));

    /// <summary>The fields among the lines of a status file (a key given twice counts once, the first time).</summary>
    public static ProcStatus Parse(IEnumerable<string> lines)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                values.TryAdd(line[..colon], line[(colon + 1)..].Trim());
            }
        }
        return new ProcStatus(Decimal(values, "Tgid"), Decimal(values, "PPid"), Hex(values, "SigPnd"), Hex(values, "ShdPnd"), Hex(values, "CapEff"),
            Decimal(values, "Seccomp"), Decimal(values, "Seccomp_filters"), Kibibytes(values, "VmPin"));
    }

    private static int? Decimal(Dictionary<string, string> values, string key) =>
        values.TryGetValue(key, out string? value) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) ? number : null;

    private static long? Kibibytes(Dictionary<string, string> values, string key) =>
        values.TryGetValue(key, out string? value) && value.EndsWith(" kB", StringComparison.Ordinal)
            && long.TryParse(value[..^3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long kib) ? kib : null;

    private static ulong? Hex(Dictionary<string, string> values, string key) =>
        values.TryGetValue(key, out string? value) && ulong.TryParse(value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong bits) ? bits : null;
}

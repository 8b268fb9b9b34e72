using System.Globalization;
using Crik.Cli.Processes;

namespace Crik.Cli.Privileges;

/// <summary>A process's effective capabilities, as the CapEff line of /proc/PID/status gives them.</summary>
internal readonly record struct CapabilitySet(ulong Bits)
{
    /// <summary>crik's own effective capabilities (none when they cannot be read).</summary>
    public static CapabilitySet Own() => Parse(ProcFiles.Lines("/proc/self/status"));

    /// <summary>Reads "CapEff:\t000001ffffffffff" among the status lines; none when the line is missing or garbled.</summary>
    public static CapabilitySet Parse(IEnumerable<string> statusLines)
    {
        string? line = statusLines.FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return line is not null && ulong.TryParse(line["CapEff:".Length..].Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong bits)
            ? new CapabilitySet(bits)
            : new CapabilitySet(0);
    }

    public bool Has(Capability capability) => (Bits & (1UL << (int)capability)) != 0;
}

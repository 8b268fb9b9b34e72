using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Privileges;

/// <summary>A process's effective capabilities, as the CapEff line of /proc/PID/status gives them.</summary>
internal readonly record struct CapabilitySet(ulong Bits)
{
    /// <summary>crik's own effective capabilities (none when they cannot be read).</summary>
    public static CapabilitySet Own() => Of(ProcFiles.Status("/proc/self/status"));

    /// <summary>The CapEff of a status file ("CapEff:\t000001ffffffffff"); none when it is missing or garbled.</summary>
    public static CapabilitySet Of(ProcStatus status) => new(status.CapEff ?? 0);

    public bool Has(Capability capability) => (Bits & (1UL << (int)capability)) != 0;
}

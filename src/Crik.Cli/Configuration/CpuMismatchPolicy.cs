namespace Crik.Cli.Configuration;

/// <summary>What to do with a checkpoint taken on a node whose processor had features this one lacks.</summary>
internal enum CpuMismatchPolicy
{
    /// <summary>Do not restore it here; keep it for a node that can run it, and follow onRestoreFailure.</summary>
    Refuse,

    /// <summary>Restore it all the same, with a warning (for nodes known to be alike where /proc/cpuinfo differs).</summary>
    Restore,
}

using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.HostCompatibility;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>What keeps the chosen checkpoint from being restored in this container, found before CRIU runs.</summary>
internal sealed class RestoreVerdicts(CrikConfig config, ILogger log)
{
    /// <summary>
    /// What this node lacks that the checkpoint was taken with, when that keeps it from being restored here
    /// (onCpuMismatch: refuse); null when it is restored here (said when that is despite a mismatch).
    /// </summary>
    public string? NotOnThisNode(Manifest manifest)
    {
        string? mismatch = CpuCompatibility.Problem(manifest.Host, HostFacts.Current());
        if (!RestoreMethod.RestoresDespite(mismatch, config.OnCpuMismatch))
        {
            return mismatch;
        }
        if (mismatch is not null)
        {
            log.Warning("Checkpoint {Generation}: {Mismatch}; restoring it all the same (onCpuMismatch: restore)", manifest.Generation, mismatch);
        }
        return null;
    }
}

using System.Diagnostics;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// A failed or killed restore can leave restored processes behind, and a killed criu what it forked; they must not
/// run beside the fresh start or the next try that follows. The app's PIDs were free before CRIU ran, so whatever
/// holds them now came from this restore.
/// </summary>
internal sealed class Leftovers(ChildReaper reaper, ILogger log)
{
    /// <summary>What a failed restore left is killed and its PIDs free again; the reaper then watches for the next try's app.</summary>
    public async Task ForgetFailedTreeAsync(RestoreRun run)
    {
        reaper.Forget(run.Manifest.RootPid);
        await KillAndWaitAsync(run.Manifest).ConfigureAwait(false);
        run.App = reaper.Expect(run.Manifest.RootPid);
    }

    /// <summary>The restore failed for good: the reaper no longer watches for the app, and what it left is killed.</summary>
    public void Forget(Manifest manifest)
    {
        reaper.Forget(manifest.RootPid);
        Kill(manifest);
    }

    /// <summary>Kills what a failed restore left and waits (up to 5 s) until the PIDs of what it killed are free again.</summary>
    private async Task KillAndWaitAsync(Manifest manifest)
    {
        List<int> killed = Kill(manifest);
        var clock = Stopwatch.StartNew();
        while (ProcessTree.InUse(killed).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What criu forked and left when it was killed (the child of one of its kernel probes, which sleeps until criu kills it):
    /// crik's children now, named as criu is. Others crik adopted (what a postStart hook or a kubectl exec left) are not the
    /// restore's.
    /// </summary>
    private HashSet<int> CriusOrphans() => [.. reaper.Adopted().Where(pid => ProcessDescriptors.Name(pid) == "criu")];

    private List<int> Kill(Manifest manifest)
    {
        List<int> killed = RestoredTree.Kill(manifest.TreePids.Append(manifest.RootPid).ToHashSet(), adopted: CriusOrphans);
        if (killed.Count > 0)
        {
            log.Warning("Killed {Count} processes left by the failed restore of checkpoint {Generation} (PIDs {Pids})",
                killed.Count, manifest.Generation, string.Join(", ", killed));
        }
        return killed;
    }
}

using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>What the dump records beside the images, read before it: the tree, crik's stdio, external mounts, and the pre-dumps it goes on top of.</summary>
/// <param name="OnTop">Where a dump on top of the pre-dumps goes, or null to stream it.</param>
internal sealed record DumpSetup(List<int> Tree, List<string> Stdio, List<ExternalMount> Mounts, (DirectoryHandle Directory, PreDumpParent Parent)? OnTop);

/// <summary>The first step of a dump: reads what it records beside the images (<see cref="DumpSetup"/>), and lets go of the pre-dumps once it is over.</summary>
/// <param name="reaper">Knows crik's children it did not start (<see cref="ChildReaper.Adopted"/>): processes outside the app's tree.</param>
internal sealed class DumpPreparation(CrikConfig config, PreDumpChain? preDumps, string imageDir, ChildReaper reaper, ILogger log)
{
    public DumpSetup Prepare(DumpRun run)
    {
        RunningApp app = run.App;
        List<int> tree = ProcessTree.PidsAndThreads(app.Pid);
        AppFiles.DeleteInotifyIncompatible(config.InotifyIncompatiblePaths, log);
        // Only what crik handed the app is the container's; a pipe the app made itself is the app's.
        List<string> stdio = ProcessTree.Stdio(Environment.ProcessId);
        List<ExternalMount> mounts = ExternalMounts.Present();
        // Last, once nothing that may throw is left: the dump's directory it begins is let go of by Release only.
        var setup = new DumpSetup(tree, stdio, mounts, OnTopOfPreDumps());
        log.Information("Checkpointing the app (PID {Pid}, {Count} processes and threads) as generation {Generation} in {Dir}{OnPreDumps}{Why}",
            app.Pid, tree.Count, run.Generation, imageDir, setup.OnTop is not null ? $", on top of {preDumps!.Count} pre-dumps" : "", run.Reason switch
            {
                CheckpointReason.Periodic => " (checkpointInterval; the app runs on)",
                CheckpointReason.AtRisk => " (the node is at risk; the app runs on)",
                CheckpointReason.OnDemand => " (crik checkpoint; the app runs on)",
                CheckpointReason.OnDemandExit => " (crik checkpoint --exit)",
                _ => "",
            });
        WarnOfLeftOut(run.Generation);
        run.Stages.Lap("preparing");
        return setup;
    }

    private void WarnOfLeftOut(long generation)
    {
        if (LeftOutProcesses.Of(reaper.Adopted()) is { Count: > 0 } leftOut)
        {
            log.Warning("Checkpoint {Generation} leaves out {Count} {Processes} not in the app's tree: {List}. Their parents exited, so crik "
                + "adopted them (daemons the app started, or what a kubectl exec left running), and CRIU checkpoints the tree of the app's first process only: "
                + "the next pod restores the app without them. To keep an app's process, start it so that one of the app's processes stays its parent "
                + "(as a background job of the app's script, such as `sshd -D &`, not as a daemon)",
                generation, leftOut.Count, leftOut.Count == 1 ? "process" : "processes", string.Join(", ", leftOut));
        }
    }

    /// <summary>Once the dump is over, taken or not: it reset the kernel's dirty-memory tracking, so the next pre-dump is a whole one.</summary>
    public void Release(DumpSetup? setup)
    {
        if (setup?.OnTop is { } dumpedOnto)
        {
            dumpedOnto.Directory.Dispose();
            preDumps!.Drop();
        }
    }

    /// <summary>Where a dump on top of the pre-dumps goes, or null to stream it (no pre-dumps, or no room for the dump's directory).</summary>
    private (DirectoryHandle Directory, PreDumpParent Parent)? OnTopOfPreDumps()
    {
        if (preDumps is not { Count: > 0 })
        {
            return null;
        }
        try
        {
            return preDumps.BeginDump();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Cannot dump on top of the pre-dumps ({Error}); dumping all of the app's memory through crik instead", e.Message);
            preDumps.Drop();
            return null;
        }
    }
}

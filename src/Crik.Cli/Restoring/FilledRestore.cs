using Crik.Cli.Checkpointing;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.LazyPages;
using Crik.Cli.Logging;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.WriteTracking;
using Microsoft.Win32.SafeHandles;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// An eager restore on crik's own fill: CRIU restores the app lazily and leaves its processes stopped,
/// crik fills every page with all its readers, and only then may the app go (<see cref="Filled.Tree"/>,
/// which the supervisor calls through the lease's watchdog). Its first instruction runs with all its
/// memory in, as from CRIU's stream. Where it cannot be done, or CRIU fails, the restore goes from
/// CRIU's stream (<see cref="RestorePlanStep"/>).
/// </summary>
internal sealed class FilledRestore(CrikConfig config, MemoryLoadStart loads, CriuRestore criu, Leftovers leftovers, ILogger log)
{
    private const string OnCriksFill = "on crik's fill";

    /// <summary>What the restore on crik's fill came to: the app all in and stopped, to be let go, or why its memory could not all be brought in.</summary>
    /// <param name="Tree">The app, stopped: letting it go sends SIGCONT to each process that ran at the checkpoint; one stopped then stays stopped (by its own signal: <see cref="StopSignalsScript"/>).</param>
    /// <param name="Failure">Why the fill failed before the app ran (what CRIU restored was killed), and whether the store was not answering; else null.</param>
    /// <param name="How">How the restore ran, for the restore line: on crik's fill, and what it filled with how many threads.</param>
    public sealed record Filled(StoppedTree Tree, NotWhole? Failure, string How);

    /// <summary>Null when CRIU or crik failed before the app ran (said in the log; what it left is gone): the restore goes from CRIU's stream (<see cref="RestorePlanStep"/>).</summary>
    /// <param name="shellPresent">Whether the shell that runs <see cref="StopSignalsScript"/> is here.</param>
    public async Task<Filled?> TryAsync(RestoreRun run, bool shellPresent)
    {
        Manifest manifest = run.Manifest;
        if (loads.Start(run, lazily: false) is not { } loading)
        {
            return null;
        }
        if (ProcessStates(loading.ImagesDir, manifest.Generation) is not { } processes
            || !StopSignals(run, processes, shellPresent, out string? actionScript))
        {
            await loading.AbortAsync().ConfigureAwait(false);
            return null;
        }
        CriuResult restore = await criu.RunFilledAsync(run, loading, leaveStopped: true, actionScript).ConfigureAwait(false);
        if (!restore.Succeeded)
        {
            await FellBackAsync(run, restore, loading).ConfigureAwait(false);
            return null;
        }
        List<SafeFileHandle> thoseThatRan = StoppedTree.HoldThoseThatRan(processes);
        log.Debug("Checkpoint {Generation}: CRIU's restore left its {Count} processes stopped; crik lets go of the {Running} that ran at the checkpoint "
            + "once their memory is in", manifest.Generation, processes.Count, thoseThatRan.Count);
        await loading.HoldUserfaultsAsync().ConfigureAwait(false);
        RestoredMemory? memory = InAtCriusEnd(manifest, processes.Keys);
        NotWhole? failure = await AllInAsync(run, loading).ConfigureAwait(false);
        run.Stages.Lap("fill");
        string how = $"{OnCriksFill} ({Size.Format(loading.CopiedBytes)} filled in by {loading.ReaderThreads} threads before it ran)";
        return new Filled(new StoppedTree(manifest.Generation, processes, thoseThatRan, memory, log), failure, how);
    }

    /// <summary>
    /// With CRIU's restore ended, once every thread has stopped: the pages each process holds already (<see cref="RestoredMemory"/>),
    /// which may differ from the checkpoint's, for crik to count as written when it tracks the app's writes from its restore; null
    /// when it does not, or when a thread has not stopped within <see cref="StopWait"/> (the next checkpoint then copies all of the memory).
    /// </summary>
    private RestoredMemory? InAtCriusEnd(Manifest manifest, IReadOnlyCollection<int> pids)
    {
        if (WriteTrackingChoice.WhyNot(config.TrackWrites, crikIsInit: Environment.ProcessId == 1) is not null)
        {
            return null;
        }
        if (CheckpointFragmentation.Of(manifest) is (int pieces, true))
        {
            // A checkpoint after which the app ends never gathers: taking the first one after a restore from these pieces again
            // would let restores and SIGTERMs add slices without end. Copied all, its chunks are whole again.
            log.Information("Checkpoint {Generation}: its pages are in {Pieces} pieces, so the restored app's next checkpoint copies all of its memory "
                + "instead of taking what the app does not write from them", manifest.Generation, pieces);
            return null;
        }
        // CRIU exits without waiting for its SIGSTOP to stop each thread: one on its way may still take a signal queued before,
        // writing its frame into a page crik puts in meanwhile. Stopped, nothing but crik's fill writes into the tree's memory.
        if (!AllThreadsStopped.Within(pids, StopWait))
        {
            log.Information("Checkpoint {Generation}: crik does not track the restored app's writes from its restore: not all of its threads had stopped "
                + "{Seconds:0} s after CRIU's restore ended, so its next checkpoint copies all of its memory", manifest.Generation, StopWait.TotalSeconds);
            return null;
        }
        FaultSeam.WriteAsTheRestorer(manifest.RootPid);
        return RestoredMemory.Read(manifest, pids);
    }

    /// <summary>How long the restored threads may take to stop once CRIU's restore has ended (they do within milliseconds).</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Null once every page is in; why not, when the fill failed or did not end within restoreTimeout (the
    /// app was killed), and whether the store was not answering then.
    /// </summary>
    private async Task<NotWhole?> AllInAsync(RestoreRun run, LazyLoad loading)
    {
        TimeSpan left = config.RestoreTimeout - run.Clock.Elapsed;
        if (left > TimeSpan.Zero && await Task.WhenAny(loading.Loaded, Task.Delay(left)).ConfigureAwait(false) == loading.Loaded)
        {
            return await loading.Loaded.ConfigureAwait(false) is { } failed ? NotWhole.OfFill(failed, loading.StoreAway, loading.CriksOwn, loading.Proven) : null;
        }
        string? fill = await loading.AbortAsync().ConfigureAwait(false);
        return NotWhole.OfFill($"its memory was not all in within restoreTimeout ({config.RestoreTimeout.TotalSeconds:0} s)"
            + (fill is null or LazyLoad.RestoreFailed ? "" : $": {fill}"), loading.StoreAway, loading.CriksOwn, proven: true); // as for CRIU past it: a bound the user set, never tried again
    }

    /// <summary>
    /// Each process of the tree, whether it was stopped at the checkpoint and by which signal, as its pstree
    /// and core images say; null (logged) when they cannot be read.
    /// </summary>
    private Dictionary<int, TaskState>? ProcessStates(string imagesDir, long generation)
    {
        try
        {
            return ProcessTreeImage.Parse(File.ReadAllBytes(Path.Combine(imagesDir, ProcessTreeImage.Name))).ToDictionary(p => p.Pid,
                p => TaskStateImage.Parse(File.ReadAllBytes(Path.Combine(imagesDir, TaskStateImage.Name(p.Pid)))));
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            log.Warning("Checkpoint {Generation}: cannot read which of its processes were stopped at the checkpoint ({Error}); restoring it from CRIU's stream",
                generation, e.Message);
            return null;
        }
    }

    /// <summary>
    /// False (logged) when the restore cannot be on crik's fill; else <paramref name="actionScript"/> is what CRIU is
    /// to run to stop processes by their own signal again (null when every stopped one was stopped by SIGSTOP).
    /// </summary>
    private bool StopSignals(RestoreRun run, Dictionary<int, TaskState> processes, bool shellPresent, out string? actionScript)
    {
        actionScript = null;
        List<(int Pid, Signal Signal)> restops = StopSignalsScript.Restops(processes);
        if (restops.Count == 0)
        {
            return true;
        }
        if (RestoreMethod.WhyNotOnCriksFill([.. restops.Select(r => $"{r.Pid} by {r.Signal}")], StopSignalsScript.Shell, shellPresent) is { } whyNot)
        {
            log.Information("Checkpoint {Generation}: restoring it from CRIU's stream, not on crik's fill: {Why}", run.Manifest.Generation, whyNot);
            return false;
        }
        try
        {
            actionScript = StopSignalsScript.Write(run.Attempt.Criu, StopSignalsScript.Text(restops));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Checkpoint {Generation}: cannot write the script that stops processes by their own signal again ({Error}); restoring it from CRIU's stream",
                run.Manifest.Generation, e.Message);
            return false;
        }
    }

    /// <summary>CRIU failed before the app ran: the fill and what CRIU left go, and the restore goes from CRIU's stream.</summary>
    private async Task FellBackAsync(RestoreRun run, CriuResult restore, LazyLoad loading)
    {
        string? fill = await loading.AbortAsync().ConfigureAwait(false);
        await leftovers.ForgetFailedTreeAsync(run).ConfigureAwait(false);
        log.Warning("Checkpoint {Generation}: the restore on crik's fill failed ({Error}; CRIU log {Log}); restoring it from CRIU's stream{Fill}",
            run.Manifest.Generation, restore.Describe(config.RestoreTimeout), run.Attempt.LogPath,
            fill is null or LazyLoad.RestoreFailed ? "" : $". crik's fill failed first: {fill}");
    }
}

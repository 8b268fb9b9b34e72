// Checkpointing/ owns turning a SIGTERM into a committed checkpoint or "not taken"; it never signals the app.
using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.HostCompatibility;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Logging;
using Crik.Cli.Model;
using Crik.Cli.NodeState;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
using Crik.Cli.Streaming;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Turns a SIGTERM into a committed checkpoint of the app's whole tree, or answers that none was
/// taken and why. It never leaves a half-written generation, and never signals the app itself: the
/// supervisor resumes or kills it on this answer.
/// </summary>
/// <remarks>
/// Everything from SIGTERM to the commit (asking the node-state server, taking the lock, the dump,
/// the commit) fits in checkpointBudget; a checkpoint that would end past it is abandoned before its
/// commit point, so the app still gets its SIGTERM in time.
/// </remarks>
/// <param name="preDumps">Pre-dumps of the running app (where the kernel tracks dirty memory), or null.</param>
internal sealed partial class Checkpointer(CrikConfig config, ICheckpointStore store, CriuRunner criu, Task<string> criuVersion,
    INodeStateGate? nodeState, PreDumpChain? preDumps, ILogger log) : ICheckpointer
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StreamerGrace = TimeSpan.FromSeconds(10);

    /// <summary>What becomes of the app when this checkpoint is not taken, for the log.</summary>
    private string _thenTheApp = "";

    /// <summary>
    /// A lazily restored app is checkpointed only once its memory is all in: CRIU would record the
    /// pages still missing as zeros. A periodic checkpoint is skipped (the next comes soon); the others
    /// wait up to half of what is left of the budget. False when the checkpoint is not taken (logged):
    /// the checkpoint the app is loading from stays the newest, so the next pod goes on from it.
    /// </summary>
    private async Task<bool> MemoryInAsync(RunningApp app, CheckpointReason reason, Budget budget)
    {
        if (reason != CheckpointReason.Periodic)
        {
            TimeSpan wait = budget.Remaining / 2;
            log.Information("Waiting up to {Seconds:0.#} s for the app's memory to be all in before the checkpoint", wait.TotalSeconds);
            await Task.WhenAny(app.MemoryLoaded!, Task.Delay(wait)).ConfigureAwait(false);
            if (app.MemoryLoaded!.IsCompletedSuccessfully && app.MemoryLoaded.Result is null)
            {
                return true;
            }
        }
        log.Warning("Checkpoint not taken: the app's memory is still on its way in from checkpoint {Generation}, which stays the newest "
            + "(the next pod goes on from it); {Then}", app.Generation, _thenTheApp);
        return false;
    }

    /// <summary>The supervisor's way to let the app go on at once when this checkpoint fails (see <see cref="ICheckpointer.CheckpointAsync"/>).</summary>
    private Action? _whenGivingUp;

    public async Task<CheckpointOutcome> CheckpointAsync(RunningApp app, CheckpointReason reason, Action? whenCaptured = null, Action? whenGivingUp = null,
        Func<string?>? whyNotCommit = null)
    {
        _thenTheApp = reason == CheckpointReason.Sigterm ? "the app keeps running and gets SIGTERM" : "the app keeps running";
        _whenGivingUp = whenGivingUp;
        var budget = new Budget(config.CheckpointBudget);
        var stages = new StageClock();
        if (reason == CheckpointReason.Sigterm && nodeState is not null)
        {
            if (!await nodeState.ShouldCheckpointAsync(budget.Remaining).ConfigureAwait(false))
            {
                return new CheckpointOutcome.NotTaken(AppMayBeStopped: false, NotWanted: true);
            }
            stages.Lap("node state");
        }
        if (app.Loading)
        {
            if (!await MemoryInAsync(app, reason, budget).ConfigureAwait(false))
            {
                return new CheckpointOutcome.NotTaken(AppMayBeStopped: false);
            }
            stages.Lap("memory in");
        }
        // Object storage that stops answering must not hold the app's SIGTERM past the budget.
        using IDisposable storeDeadline = store.Within(budget.Remaining);
        using IDisposable? directoryLock = TryLock(budget.AtMost(LockWait));
        if (directoryLock is null)
        {
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: false);
        }
        stages.Lap("lock");
        var clock = Stopwatch.StartNew();
        StagingCheckpoint staging;
        try
        {
            staging = store.BeginCheckpoint();
            stages.Lap("staging");
        }
        catch (IOException e)
        {
            GiveUp(); // before the lock's release, which a store that stopped answering makes slow
            log.Error("Not checkpointing: {Error}; {Then}", e.Message, _thenTheApp);
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: false);
        }
        long generation = staging.Generation;
        string logFile = staging.LogPath;
        (DirectoryHandle Directory, PreDumpParent Parent)? onTop = null;
        CommittedCheckpoint committed;
        TimeSpan dumpDuration;
        StreamTimes? streamed;
        try
        {
            if (Undumpable.Find(app.Pid) is { } undumpable)
            {
                return Failed(generation, staging, clock, undumpable, logFile);
            }
            List<int> tree = ProcessTree.PidsAndThreads(app.Pid);
            AppFiles.DeleteInotifyIncompatible(config.InotifyIncompatiblePaths, log);
            onTop = OnTopOfPreDumps();
            // Only what crik handed the app is the container's; a pipe the app made itself is the app's.
            List<string> stdio = ProcessTree.Stdio(Environment.ProcessId);
            List<ExternalMount> mounts = ExternalMounts.Present();
            log.Information("Checkpointing the app (PID {Pid}, {Count} processes and threads) as generation {Generation} in {Dir}{OnPreDumps}{Why}",
                app.Pid, tree.Count, generation, store.ImageDir, onTop is not null ? $", on top of {preDumps!.Count} pre-dumps" : "", reason switch
                {
                    CheckpointReason.Periodic => " (checkpointInterval; the app runs on)",
                    CheckpointReason.AtRisk => " (the node is at risk; the app runs on)",
                    CheckpointReason.OnDemand => " (crik checkpoint; the app runs on)",
                    CheckpointReason.OnDemandExit => " (crik checkpoint --exit)",
                    _ => "",
                });

            stages.Lap("preparing");
            if (budget.Spent)
            {
                return Failed(generation, staging, clock, $"checkpointBudget ({budget.Total.TotalSeconds:0.###} s) ran out before the dump", logFile);
            }
            TimeSpan dumpTimeout = budget.AtMost(config.CheckpointTimeout);
            (CriuResult dump, CaptureResult? captured, List<DirectoryHandle>? toImport) = onTop is { } onto
                ? await DumpOnPreDumpsAsync(app, staging, mounts, dumpTimeout, preDumps!, onto.Directory, onto.Parent).ConfigureAwait(false)
                : await StreamedDumpAsync(app, staging, mounts, dumpTimeout).ConfigureAwait(false);
            if (onTop is not null && !dump.Succeeded && dump.Status.Exited && !budget.Spent)
            {
                // criu failed on its own (a full /tmp, say), so it resumed the tree; a streamed dump needs no room on the node.
                // (Killed or timed out, it may have left part of the tree stopped: a dump would record it so.)
                log.Warning("The dump on top of the pre-dumps failed: {Why}. Dumping all of the app's memory through crik instead",
                    dump.Describe(dumpTimeout));
                preDumps!.Drop();
                dumpTimeout = budget.AtMost(config.CheckpointTimeout);
                (dump, captured, toImport) = await StreamedDumpAsync(app, staging, mounts, dumpTimeout).ConfigureAwait(false);
            }
            if (!dump.Succeeded)
            {
                string why = dump.Describe(dumpTimeout);
                if (dump.TimedOut && dumpTimeout < config.CheckpointTimeout)
                {
                    why += $" (the time left of checkpointBudget, {budget.Total.TotalSeconds:0.###} s)";
                }
                if (captured?.Error is { } streamError)
                {
                    why += $"; crik's image streamer: {streamError}";
                }
                return Failed(generation, staging, clock, why, logFile);
            }
            if (captured?.Error is { } notStored)
            {
                return Failed(generation, staging, clock, $"the images were not stored whole: {notStored}", logFile);
            }
            stages.Lap("dump");
            // The tree is stopped now, so what is saved matches what CRIU recorded of each file.
            long largestArea = MemoryMaps.LargestPrivateArea(ProcessTree.Processes(app.Pid));
            List<SavedFile> extraFiles = AppFiles.Save(config.AdditionalPaths, staging);
            if (CarryFiles(app.Pid, staging, extraFiles) is { } overLimit)
            {
                return Failed(generation, staging, clock, overLimit, logFile);
            }
            stages.Lap("files");
            // Everything of the app is captured: what remains (checksums, the commit) does not need it stopped.
            whenCaptured?.Invoke();
            if (toImport is not null)
            {
                captured = await Task.Run(() => ImageImport.Import(toImport, staging.Pack, inTime: () => !budget.Spent)).ConfigureAwait(false);
                if (captured.Error is { } notImported)
                {
                    return Failed(generation, staging, clock, $"the images CRIU wrote on top of its pre-dumps were not stored whole: {notImported}", logFile);
                }
                stages.Lap("import");
            }
            var manifest = new Manifest
            {
                Generation = generation,
                CreatedAt = DateTimeOffset.UtcNow,
                Command = app.Command,
                App = AppIdentity.Of(app.Command),
                CriuVersion = await criuVersion.ConfigureAwait(false),
                Host = HostFacts.Current(),
                RootPid = app.Pid,
                TreePids = tree,
                Stdio = stdio,
                ExternalMounts = mounts,
                AdditionalPaths = config.AdditionalPaths,
                ExtraFiles = extraFiles,
                Files = captured!.Images,
                DumpSeconds = Math.Round(dump.Duration.TotalSeconds, 3),
                LargestPrivateArea = largestArea,
                FirstTouched = app.FirstTouched?.Invoke() is { Count: > 0 } touched ? touched : null,
            };
            if (budget.Spent)
            {
                return Failed(generation, staging, clock, $"checkpointBudget ({budget.Total.TotalSeconds:0.###} s) ran out before the commit", logFile);
            }
            dumpDuration = dump.Duration;
            // The commit point. Commit throws only before it; once it returns, the checkpoint is taken.
            committed = store.Commit(staging, manifest, config.KeepCheckpoints, whyNot: () => budget.Spent
                ? $"checkpointBudget ({budget.Total.TotalSeconds:0.###} s) ran out before the commit" : whyNotCommit?.Invoke(), stages).Checkpoint;
            streamed = captured.Times;
        }
        catch (SupersededException e)
        {
            return Superseded(generation, staging, e);
        }
        catch (Exception e)
        {
            log.Debug(e, "Checkpoint {Generation} failed", generation);
            return Failed(generation, staging, clock, e.Message, logFile);
        }
        finally
        {
            if (onTop is { } dumpedOnto)
            {
                dumpedOnto.Directory.Dispose();
                preDumps!.Drop(); // the dump reset the kernel's dirty-memory tracking: the next pre-dump is a whole one
            }
        }
        // Past the commit point nothing may turn this into a failure: the next pod continues from it.
        log.Information("Checkpoint {Generation} committed in {Seconds:0.00} s (CRIU dump {Dump:0.00} s): {Size}, of which {Written} written "
            + "(the rest shared with earlier checkpoints), in {Dir}; CRIU log {Log}. Stages: {Stages}{Streamed}; crik's CPU {Cpu}",
            generation, clock.Elapsed.TotalSeconds, dumpDuration.TotalSeconds, Size.Format(committed.Manifest.ImageBytes),
            Size.Format(committed.Manifest.WrittenBytes), committed.Directory, logFile, stages.ToString(),
            streamed is null ? "" : $"; streamed {streamed}", StageClock.Milliseconds(stages.CrikCpu));
        return new CheckpointOutcome.Committed(generation, committed.Manifest.ImageBytes, clock.Elapsed);
    }

    private CheckpointOutcome.NotTaken Failed(long generation, StagingCheckpoint staging, Stopwatch clock, string why, string logFile)
    {
        // The app goes on before the clean-up, which a store that stopped answering makes last seconds more.
        GiveUp();
        log.Error("Checkpoint {Generation} failed after {Seconds:0.00} s: {Why}; CRIU log {Log}. The previous checkpoint is untouched; {Then}",
            generation, clock.Elapsed.TotalSeconds, why, logFile, _thenTheApp);
        store.Abandon(staging);
        return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
    }

    /// <summary>Another crik committed first. Not GiveUp: the app must not run on (nor act on a SIGTERM) while another crik runs it.</summary>
    private CheckpointOutcome.NotTaken Superseded(long generation, StagingCheckpoint staging, SupersededException e)
    {
        log.Error("Checkpoint {Generation} is not committed: {Error}. Another pod runs the app or did, so this copy is killed", generation, e.Message);
        store.Abandon(staging);
        return new CheckpointOutcome.NotTaken(AppMayBeStopped: true, Superseded: true);
    }

    /// <summary>Lets the supervisor resume the app (and hand it its SIGTERM) now; once, should a failing clean-up lead here again.</summary>
    private void GiveUp() => Interlocked.Exchange(ref _whenGivingUp, null)?.Invoke();

    /// <summary>The image directory's lock, or null (and why, logged) when crik cannot or must not checkpoint.</summary>
    private IDisposable? TryLock(TimeSpan wait)
    {
        try
        {
            IDisposable? directoryLock = store.TryLock(wait);
            if (directoryLock is null)
            {
                log.Error("Not checkpointing: another crik holds {Dir}/.lock; {Then}", store.ImageDir, _thenTheApp);
            }
            return directoryLock;
        }
        catch (IOException e)
        {
            log.Error("Not checkpointing: {Error}; {Then}", e.Message, _thenTheApp);
            return null;
        }
    }
}

// Checkpointing/ owns turning a SIGTERM into a committed checkpoint or "not taken"; it never signals the app.
using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.HostCompatibility;
using Crik.Cli.ImageStore;
using Crik.Cli.Logging;
using Crik.Cli.Model;
using Crik.Cli.NodeState;
using Crik.Cli.Observing;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
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

    /// <summary>Why the checkpoint under way is taken, for the log and what it publishes.</summary>
    private CheckpointReason _reason;

    /// <summary>What becomes of the app when this checkpoint is not taken, for the log.</summary>
    private string ThenTheApp => _reason == CheckpointReason.Sigterm ? "the app keeps running and gets SIGTERM" : "the app keeps running";

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
            + "(the next pod goes on from it); {Then}", app.Generation, ThenTheApp);
        Happenings.Publish(new Happening.CheckpointSkipped(reason.Label(),
            $"the app's memory is still on its way in from checkpoint {app.Generation}, which stays the newest"));
        return false;
    }

    /// <summary>The supervisor's way to let the app go on at once when this checkpoint fails (see <see cref="ICheckpointer.CheckpointAsync"/>).</summary>
    private Action? _whenGivingUp;

    public async Task<CheckpointOutcome> CheckpointAsync(RunningApp app, CheckpointReason reason, Action? whenCaptured = null, Action? whenGivingUp = null,
        Func<string?>? whyNotCommit = null)
    {
        _reason = reason;
        _whenGivingUp = whenGivingUp;
        var budget = new Budget(config.CheckpointBudget);
        var stages = new StageClock();
        if (await NotNowAsync(app, reason, budget, stages).ConfigureAwait(false) is { } notNow)
        {
            return notNow;
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
        if (BeginStaging(stages) is not { } staging)
        {
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: false);
        }
        var run = new DumpRun(app, reason, staging, budget, stages, clock);
        CheckpointOutcome outcome;
        try
        {
            outcome = await DumpAndCommitAsync(run, whenCaptured, whyNotCommit).ConfigureAwait(false);
        }
        catch (SupersededException e)
        {
            return Superseded(run, e);
        }
        catch (Exception e)
        {
            log.Debug(e, "Checkpoint {Generation} failed", run.Generation);
            return Failed(run, e.Message);
        }
        finally
        {
            ReleasePreDumps(run);
        }
        // Past the commit point nothing may turn this into a failure: the next pod continues from it.
        if (outcome is CheckpointOutcome.Committed)
        {
            LogCommitted(run);
        }
        return outcome;
    }

    /// <summary>Why no checkpoint is taken now, before anything is locked or written: the node is not going away, or the app's memory is not all in. Null to go on.</summary>
    private async Task<CheckpointOutcome.NotTaken?> NotNowAsync(RunningApp app, CheckpointReason reason, Budget budget, StageClock stages)
    {
        if (reason == CheckpointReason.Sigterm && nodeState is not null)
        {
            if (!await nodeState.ShouldCheckpointAsync(budget.Remaining).ConfigureAwait(false))
            {
                Happenings.Publish(new Happening.CheckpointNotNeeded("the node-state server says this node is not going away, so the SIGTERM is the app's own end"));
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
        return null;
    }

    /// <summary>The staging area of the next generation, or null (and why, logged) when the store cannot make one.</summary>
    private StagingCheckpoint? BeginStaging(StageClock stages)
    {
        try
        {
            StagingCheckpoint staging = store.BeginCheckpoint();
            stages.Lap("staging");
            return staging;
        }
        catch (IOException e)
        {
            GiveUp(); // before the lock's release, which a store that stopped answering makes slow
            log.Error("Not checkpointing: {Error}; {Then}", e.Message, ThenTheApp);
            Happenings.Publish(new Happening.CheckpointSkipped(_reason.Label(), e.Message));
            return null;
        }
    }

    /// <summary>
    /// The checkpoint's steps from the dump to the commit point. Returns <see cref="CheckpointOutcome.Committed"/>
    /// once the manifest is written, else what <see cref="Failed"/> made of the first step that failed.
    /// </summary>
    private async Task<CheckpointOutcome> DumpAndCommitAsync(DumpRun run, Action? whenCaptured, Func<string?>? whyNotCommit)
    {
        if (Undumpable.Find(run.App.Pid) is { } undumpable)
        {
            return Failed(run, undumpable);
        }
        Prepare(run);
        if (run.Budget.Spent)
        {
            return Failed(run, $"checkpointBudget ({run.Budget.Total.TotalSeconds:0.###} s) ran out before the dump");
        }
        if (await DumpAsync(run).ConfigureAwait(false) is { } notDumped)
        {
            return Failed(run, notDumped);
        }
        run.Stages.Lap("dump");
        // The tree is stopped now, so what is saved matches what CRIU recorded of each file.
        long largestArea = MemoryMaps.LargestPrivateArea(ProcessTree.Processes(run.App.Pid));
        List<SavedFile> extraFiles = AppFiles.Save(config.AdditionalPaths, run.Staging);
        if (CarryFiles(run.App.Pid, run.Staging, extraFiles) is { } overLimit)
        {
            return Failed(run, overLimit);
        }
        run.Stages.Lap("files");
        // Everything of the app is captured: what remains (checksums, the commit) does not need it stopped.
        whenCaptured?.Invoke();
        if (await ImportAsync(run).ConfigureAwait(false) is { } notImported)
        {
            return Failed(run, notImported);
        }
        Manifest manifest = await ManifestOfAsync(run, largestArea, extraFiles).ConfigureAwait(false);
        string budgetRanOut = $"checkpointBudget ({run.Budget.Total.TotalSeconds:0.###} s) ran out before the commit";
        if (run.Budget.Spent)
        {
            return Failed(run, budgetRanOut);
        }
        // The commit point. Commit throws only before it; once it returns, the checkpoint is taken.
        run.Committed = store.Commit(run.Staging, manifest, config.KeepCheckpoints,
            whyNot: () => run.Budget.Spent ? budgetRanOut : whyNotCommit?.Invoke(), run.Stages).Checkpoint;
        return new CheckpointOutcome.Committed(run.Generation, run.Committed.Manifest.ImageBytes, run.Clock.Elapsed);
    }

    /// <summary>What the dump records beside the images, read before it: the tree, crik's stdio, external mounts, and the pre-dumps it goes on top of.</summary>
    private void Prepare(DumpRun run)
    {
        RunningApp app = run.App;
        run.Tree = ProcessTree.PidsAndThreads(app.Pid);
        AppFiles.DeleteInotifyIncompatible(config.InotifyIncompatiblePaths, log);
        run.OnTop = OnTopOfPreDumps();
        // Only what crik handed the app is the container's; a pipe the app made itself is the app's.
        run.Stdio = ProcessTree.Stdio(Environment.ProcessId);
        run.Mounts = ExternalMounts.Present();
        log.Information("Checkpointing the app (PID {Pid}, {Count} processes and threads) as generation {Generation} in {Dir}{OnPreDumps}{Why}",
            app.Pid, run.Tree.Count, run.Generation, store.ImageDir, run.OnTop is not null ? $", on top of {preDumps!.Count} pre-dumps" : "", run.Reason switch
            {
                CheckpointReason.Periodic => " (checkpointInterval; the app runs on)",
                CheckpointReason.AtRisk => " (the node is at risk; the app runs on)",
                CheckpointReason.OnDemand => " (crik checkpoint; the app runs on)",
                CheckpointReason.OnDemandExit => " (crik checkpoint --exit)",
                _ => "",
            });
        run.Stages.Lap("preparing");
    }

    /// <summary>
    /// CRIU's dump: on top of the pre-dumps when there are any (and again streamed through crik when
    /// that fails on its own), else streamed through crik. Null when the images are all captured, else why not.
    /// </summary>
    private async Task<string?> DumpAsync(DumpRun run)
    {
        TimeSpan dumpTimeout = run.Budget.AtMost(config.CheckpointTimeout);
        (CriuResult dump, run.Captured, run.ToImport) = run.OnTop is { } onto
            ? await DumpOnPreDumpsAsync(run.App, run.Staging, run.Mounts, dumpTimeout, preDumps!, onto.Directory, onto.Parent).ConfigureAwait(false)
            : await StreamedDumpAsync(run.App, run.Staging, run.Mounts, dumpTimeout).ConfigureAwait(false);
        if (run.OnTop is not null && !dump.Succeeded && dump.Status.Exited && !run.Budget.Spent)
        {
            // criu failed on its own (a full /tmp, say), so it resumed the tree; a streamed dump needs no room on the node.
            // (Killed or timed out, it may have left part of the tree stopped: a dump would record it so.)
            log.Warning("The dump on top of the pre-dumps failed: {Why}. Dumping all of the app's memory through crik instead", dump.Describe(dumpTimeout));
            preDumps!.Drop();
            dumpTimeout = run.Budget.AtMost(config.CheckpointTimeout);
            (dump, run.Captured, run.ToImport) = await StreamedDumpAsync(run.App, run.Staging, run.Mounts, dumpTimeout).ConfigureAwait(false);
        }
        run.Dump = dump;
        if (!dump.Succeeded)
        {
            string why = dump.Describe(dumpTimeout);
            if (dump.TimedOut && dumpTimeout < config.CheckpointTimeout)
            {
                why += $" (the time left of checkpointBudget, {run.Budget.Total.TotalSeconds:0.###} s)";
            }
            return run.Captured?.Error is { } streamError ? $"{why}; crik's image streamer: {streamError}" : why;
        }
        return run.Captured?.Error is { } notStored ? $"the images were not stored whole: {notStored}" : null;
    }

    /// <summary>Stores the images CRIU wrote on top of its pre-dumps as chunks; null when there were none or all are stored, else why not.</summary>
    private static async Task<string?> ImportAsync(DumpRun run)
    {
        if (run.ToImport is not { } toImport)
        {
            return null;
        }
        run.Captured = await Task.Run(() => ImageImport.Import(toImport, run.Staging.Pack, inTime: () => !run.Budget.Spent)).ConfigureAwait(false);
        if (run.Captured.Error is { } notImported)
        {
            return $"the images CRIU wrote on top of its pre-dumps were not stored whole: {notImported}";
        }
        run.Stages.Lap("import");
        return null;
    }

    private async Task<Manifest> ManifestOfAsync(DumpRun run, long largestArea, List<SavedFile> extraFiles) => new()
    {
        Generation = run.Generation,
        CreatedAt = DateTimeOffset.UtcNow,
        Command = run.App.Command,
        App = AppIdentity.Of(run.App.Command),
        CriuVersion = await criuVersion.ConfigureAwait(false),
        Host = HostFacts.Current(),
        RootPid = run.App.Pid,
        TreePids = run.Tree,
        Stdio = run.Stdio,
        ExternalMounts = run.Mounts,
        AdditionalPaths = config.AdditionalPaths,
        ExtraFiles = extraFiles,
        Files = run.Captured!.Images,
        DumpSeconds = Math.Round(run.Dump!.Duration.TotalSeconds, 3),
        LargestPrivateArea = largestArea,
        FirstTouched = run.App.FirstTouched?.Invoke() is { Count: > 0 } touched ? touched : null,
    };

    private void LogCommitted(DumpRun run)
    {
        CommittedCheckpoint committed = run.Committed!;
        StageClock stages = run.Stages;
        log.Information("Checkpoint {Generation} committed in {Seconds:0.00} s (CRIU dump {Dump:0.00} s): {Size}, of which {Written} written "
            + "(the rest shared with earlier checkpoints), in {Dir}; CRIU log {Log}. Stages: {Stages}{Streamed}; crik's CPU {Cpu}",
            run.Generation, run.Clock.Elapsed.TotalSeconds, run.Dump!.Duration.TotalSeconds, Size.Format(committed.Manifest.ImageBytes),
            Size.Format(committed.Manifest.WrittenBytes), committed.Directory, run.Staging.LogPath, stages.ToString(),
            run.Captured?.Times is { } streamed ? $"; streamed {streamed}" : "", StageClock.Milliseconds(stages.CrikCpu));
        Happenings.Publish(new Happening.CheckpointCommitted(run.Generation, run.Reason.Label(), committed.Manifest.ImageBytes,
            committed.Manifest.WrittenBytes, run.Clock.Elapsed, run.Dump!.Duration));
    }

    /// <summary>The dump reset the kernel's dirty-memory tracking: the next pre-dump is a whole one.</summary>
    private void ReleasePreDumps(DumpRun run)
    {
        if (run.OnTop is { } dumpedOnto)
        {
            dumpedOnto.Directory.Dispose();
            preDumps!.Drop();
        }
    }

    private CheckpointOutcome.NotTaken Failed(DumpRun run, string why)
    {
        // The app goes on before the clean-up, which a store that stopped answering makes last seconds more.
        GiveUp();
        log.Error("Checkpoint {Generation} failed after {Seconds:0.00} s: {Why}; CRIU log {Log}. The previous checkpoint is untouched; {Then}",
            run.Generation, run.Clock.Elapsed.TotalSeconds, why, run.Staging.LogPath, ThenTheApp);
        Happenings.Publish(new Happening.CheckpointFailed(run.Generation, run.Reason.Label(), run.Clock.Elapsed, $"{why} (CRIU log {run.Staging.LogPath})"));
        store.Abandon(run.Staging);
        return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
    }

    /// <summary>Another crik committed first. Not GiveUp: the app must not run on (nor act on a SIGTERM) while another crik runs it.</summary>
    private CheckpointOutcome.NotTaken Superseded(DumpRun run, SupersededException e)
    {
        (long generation, StagingCheckpoint staging) = (run.Generation, run.Staging);
        log.Error("Checkpoint {Generation} is not committed: {Error}. Another pod runs the app or did, so this copy is killed", generation, e.Message);
        Happenings.Publish(new Happening.CheckpointFailed(generation, run.Reason.Label(), run.Clock.Elapsed,
            $"{e.Message}; another pod runs the app or did, so this copy is killed"));
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
                log.Error("Not checkpointing: another crik holds {Dir}/.lock; {Then}", store.ImageDir, ThenTheApp);
                Happenings.Publish(new Happening.CheckpointSkipped(_reason.Label(), $"another crik holds {store.ImageDir}/.lock"));
            }
            return directoryLock;
        }
        catch (IOException e)
        {
            log.Error("Not checkpointing: {Error}; {Then}", e.Message, ThenTheApp);
            Happenings.Publish(new Happening.CheckpointSkipped(_reason.Label(), e.Message));
            return null;
        }
    }
}

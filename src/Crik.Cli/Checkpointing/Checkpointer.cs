// Checkpointing/ owns turning a SIGTERM into a committed checkpoint or "not taken"; it never signals the app.
using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.Model;
using Crik.Cli.NodeState;
using Crik.Cli.Observing;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
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
internal sealed partial class Checkpointer(CrikConfig config, ICheckpointStore store, CriuRunner criu, Lazy<Task<string>> criuVersion,
    INodeStateGate? nodeState, PreDumpChain? preDumps, ILogger log) : ICheckpointer
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StreamerGrace = TimeSpan.FromSeconds(10);

    /// <summary>The node was at risk when last asked, so that only its turning at-risk counts.</summary>
    private bool _nodeAtRisk;

    /// <summary>
    /// A lazily restored app is checkpointed only once its memory is all in, waiting for it as <see cref="MemoryArriving"/>
    /// says. False when the checkpoint is not taken (logged): the checkpoint the app is loading from stays the newest,
    /// so the next pod goes on from it.
    /// </summary>
    private async Task<bool> MemoryInAsync(CheckpointAttempt attempt)
    {
        RunningApp app = attempt.App;
        if (MemoryArriving.CheckpointWaits(attempt.Reason, attempt.Budget.Remaining) is { } wait)
        {
            log.Information("Waiting up to {Seconds:0.#} s for the app's memory to be all in before the checkpoint", wait.TotalSeconds);
            await Task.WhenAny(app.MemoryLoaded!, Task.Delay(wait)).ConfigureAwait(false);
            if (app.MemoryLoaded!.IsCompletedSuccessfully && app.MemoryLoaded.Result is null)
            {
                return true;
            }
        }
        log.Warning(new Happening.CheckpointSkipped(attempt.Reason.Label(),
                $"the app's memory is still on its way in from checkpoint {app.Generation}, which stays the newest"),
            "Checkpoint not taken: the app's memory is still on its way in from checkpoint {Generation}, which stays the newest "
            + "(the next pod goes on from it); {Then}", app.Generation, attempt.ThenTheApp);
        return false;
    }

    public async Task<CheckpointOutcome> CheckpointAsync(RunningApp app, CheckpointReason reason, ICheckpointHost? host = null, TimeSpan spent = default)
    {
        var attempt = new CheckpointAttempt(app, reason, new Budget(config.CheckpointBudget, spent), host);
        if (await NotNowAsync(attempt).ConfigureAwait(false) is { } notNow)
        {
            return notNow;
        }
        _ = criuVersion.Value; // runs beside the dump: at crik's start it would take CPU and disk from a restore
        try
        {
            return await CheckpointNowAsync(attempt, attempt.Captured, attempt.WhyNotCommit).ConfigureAwait(false);
        }
        finally
        {
            // Whatever ended the checkpoint before its images were put together: the app's memory goes on arriving.
            attempt.LetFillGoOn();
        }
    }

    /// <summary>The checkpoint from the lock to the commit, once nothing says it is not wanted now.</summary>
    private async Task<CheckpointOutcome> CheckpointNowAsync(CheckpointAttempt attempt, Action? whenCaptured, Func<string?>? whyNotCommit)
    {
        // Object storage that stops answering must not hold the app's SIGTERM past the budget.
        using IDisposable storeDeadline = store.Within(attempt.Budget.Remaining);
        using IDisposable? directoryLock = TryLock(attempt, attempt.Budget.AtMost(LockWait));
        if (directoryLock is null)
        {
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: false);
        }
        attempt.Stages.Lap("lock");
        var clock = Stopwatch.StartNew();
        if (BeginStaging(attempt) is not { } staging)
        {
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: false);
        }
        var run = new DumpRun(attempt, staging, clock);
        CheckpointOutcome outcome = await TakeAsync(run, whenCaptured, whyNotCommit).ConfigureAwait(false);
        return run.Dropped is { } why ? await FillThenDumpAgainAsync(run, why, whenCaptured, whyNotCommit).ConfigureAwait(false) : outcome;
    }

    /// <summary>One dump and its commit, from its staging area; what it came to, logged.</summary>
    private async Task<CheckpointOutcome> TakeAsync(DumpRun run, Action? whenCaptured, Func<string?>? whyNotCommit)
    {
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
            LogFilledMeanwhile(run);
        }
        return outcome;
    }

    /// <summary>Why no checkpoint is taken now, before anything is locked or written: the node is not going away, or the app's memory is not all in. Null to go on.</summary>
    private async Task<CheckpointOutcome.NotTaken?> NotNowAsync(CheckpointAttempt attempt)
    {
        if (NodeStateQuestions.AskedBeforeCheckpoint(attempt.Reason, serverConfigured: nodeState is not null))
        {
            if (!await nodeState!.ShouldCheckpointAsync(attempt.Budget.Remaining).ConfigureAwait(false))
            {
                return new CheckpointOutcome.NotTaken(AppMayBeStopped: false, NotWanted: true);
            }
            attempt.Stages.Lap("node state");
        }
        if (attempt.App.Loading && !TakesMemoryAsItIs(attempt))
        {
            if (!await MemoryInAsync(attempt).ConfigureAwait(false))
            {
                return new CheckpointOutcome.NotTaken(AppMayBeStopped: false);
            }
            attempt.Stages.Lap("memory in");
        }
        return null;
    }

    /// <summary>The staging area of the next generation, or null (and why, logged) when the store cannot make one.</summary>
    private StagingCheckpoint? BeginStaging(CheckpointAttempt attempt)
    {
        try
        {
            StagingCheckpoint staging = store.BeginCheckpoint();
            attempt.Stages.Lap("staging");
            return staging;
        }
        catch (IOException e)
        {
            attempt.GiveUp(); // before the lock's release, which a store that stopped answering makes slow
            log.Error(new Happening.CheckpointSkipped(attempt.Reason.Label(), e.Message), "Not checkpointing: {Error}; {Then}", e.Message, attempt.ThenTheApp);
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
        string? notWhole = CompleteArriving(run);
        // The images are put together: the fill goes on while they are stored (into the stopped app, which the dump no longer reads).
        run.Attempt.LetFillGoOn();
        if (notWhole is not null)
        {
            return Drop(run, notWhole);
        }
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

    /// <summary>The image directory's lock, or null (and why, logged) when crik cannot or must not checkpoint.</summary>
    private IDisposable? TryLock(CheckpointAttempt attempt, TimeSpan wait)
    {
        try
        {
            IDisposable? directoryLock = store.TryLock(wait);
            if (directoryLock is null)
            {
                log.Error(new Happening.CheckpointSkipped(attempt.Reason.Label(), $"another crik holds {store.ImageDir}/.lock"),
                    "Not checkpointing: another crik holds {Dir}/.lock; {Then}", store.ImageDir, attempt.ThenTheApp);
            }
            return directoryLock;
        }
        catch (IOException e)
        {
            log.Error(new Happening.CheckpointSkipped(attempt.Reason.Label(), e.Message), "Not checkpointing: {Error}; {Then}", e.Message, attempt.ThenTheApp);
            return null;
        }
    }
}

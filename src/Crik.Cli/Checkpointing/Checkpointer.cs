// Checkpointing/ owns turning a SIGTERM into a committed checkpoint or "not taken"; it never signals the app.
using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.NodeState;
using Crik.Cli.Observing;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.WriteTracking;
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
/// commit point, so the app still gets its SIGTERM in time. The steps are their own classes, each
/// returning what it produced: <see cref="MemoryAsItIs"/> or <see cref="MemoryArrivalWait"/> for memory
/// still arriving, then <see cref="DumpAndCommit"/> for each dump (a second one when the first was dropped).
/// </remarks>
internal sealed class Checkpointer : ICheckpointer, IDisposable
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(2);

    private readonly CrikConfig _config;
    private readonly ICheckpointStore _store;
    private readonly Lazy<Task<string>> _criuVersion;
    private readonly INodeStateGate? _nodeState;
    private readonly ILogger _log;
    private readonly CriuDump _criuDump;
    private readonly MemoryAsItIs _asItIs;
    private readonly MemoryArrivalWait _arrivalWait;
    private readonly DumpAndCommit _dumpAndCommit;

    /// <summary>The node was at risk when last asked, so that only its turning at-risk counts.</summary>
    private bool _nodeAtRisk;

    /// <param name="preDumps">Pre-dumps of the running app (where the kernel tracks dirty memory), or null.</param>
    public Checkpointer(CrikConfig config, ICheckpointStore store, CriuRunner criu, Lazy<Task<string>> criuVersion,
        INodeStateGate? nodeState, PreDumpChain? preDumps, ChildReaper reaper, ILogger log)
    {
        (_config, _store, _criuVersion, _nodeState, _log) = (config, store, criuVersion, nodeState, log);
        var outcomes = new DumpOutcomes(store, store.ImageDir, log);
        _criuDump = new CriuDump(config, criu, preDumps, log);
        _asItIs = new MemoryAsItIs(preDumps, log);
        _arrivalWait = new MemoryArrivalWait(outcomes, log);
        _dumpAndCommit = new DumpAndCommit(config, store, criuVersion, new DumpPreparation(config, preDumps, store.ImageDir, reaper, log), _criuDump,
            _asItIs, new FilesBesideImages(config, store.ImageDir, log), outcomes,
            new TrackedWrites(config, store, new Lazy<Task<bool>>(() => criu.ListsOptionAsync(CriuArguments.WrittenOnlyOption)), log), log);
    }

    public bool PreDumps => _criuDump.PreDumps;

    /// <summary>crik is done with the app (it ended, and crik with it): the write tracking lets go of its processes' userfaultfds.</summary>
    public void Dispose() => _dumpAndCommit.Dispose();

    public void TrackFromRestore(RestoredMemory restored) => _dumpAndCommit.TrackFromRestore(restored);

    public bool HearsEarlyWarnings => _nodeState is not null;

    public Task<bool> PreDumpAsync(RunningApp app, CancellationToken abort) => _criuDump.PreDumpAsync(app, abort);

    public async Task<CheckpointOutcome> CheckpointAsync(RunningApp app, CheckpointReason reason, ICheckpointHost? host = null, TimeSpan spent = default)
    {
        var attempt = new CheckpointAttempt(app, reason, new Budget(_config.CheckpointBudget, spent), host);
        if (await NotNowAsync(attempt).ConfigureAwait(false) is { } notNow)
        {
            return notNow;
        }
        _ = _criuVersion.Value; // runs beside the dump: at crik's start it would take CPU and disk from a restore
        try
        {
            return await CheckpointNowAsync(attempt).ConfigureAwait(false);
        }
        finally
        {
            // Whatever ended the checkpoint before its images were put together: the app's memory goes on arriving.
            attempt.LetFillGoOn();
        }
    }

    public async Task<bool> NodeTurnedAtRiskAsync()
    {
        bool? atRisk = _nodeState is null ? false : await _nodeState.IsAtRiskAsync(_config.NodeStateTimeout).ConfigureAwait(false);
        if (atRisk is not { } now)
        {
            return false; // a poll the server could not answer neither starts nor ends an at-risk spell
        }
        bool turned = now && !_nodeAtRisk;
        _nodeAtRisk = now;
        return turned;
    }

    public void RetireAfterOwnExit(string howItEnded)
    {
        try
        {
            using IDisposable? directoryLock = _store.TryLock(LockWait);
            int retired = directoryLock is null ? -1 : _store.RetireCommitted();
            if (retired < 0)
            {
                _log.Error("The app ended on its own, but {Dir} is locked by another crik: its checkpoints were not retired and may be restored",
                    _store.ImageDir);
            }
            else
            {
                _log.Information(new Happening.CheckpointsRetired(howItEnded, retired),
                    "The app ended on its own: retired its {Count} committed checkpoints, so it is not brought back", retired);
            }
        }
        catch (IOException e)
        {
            _log.Error("The app ended on its own, but its checkpoints could not be retired: {Error}; they may be restored", e.Message);
        }
    }

    /// <summary>
    /// Why no checkpoint is taken now, before anything is locked or written: the node is not going away, or the app's memory is
    /// not all in and cannot be taken as it is. Null to go on.
    /// </summary>
    private async Task<CheckpointOutcome.NotTaken?> NotNowAsync(CheckpointAttempt attempt)
    {
        if (NodeStateQuestions.AskedBeforeCheckpoint(attempt.Reason, serverConfigured: _nodeState is not null))
        {
            if (!await _nodeState!.ShouldCheckpointAsync(attempt.Budget.Remaining).ConfigureAwait(false))
            {
                return new CheckpointOutcome.NotTaken(AppMayBeStopped: false, NotWanted: true);
            }
            attempt.Stages.Lap("node state");
        }
        if (!attempt.App.Loading)
        {
            return null;
        }
        if (_asItIs.Takes(attempt) is { } arriving)
        {
            attempt.TakeAsItIs(arriving);
            attempt.Stages.Lap("fill held");
            GlancePause.Wait(_log);
            return null;
        }
        if (!await _arrivalWait.BeforeDumpAsync(attempt).ConfigureAwait(false))
        {
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: false);
        }
        attempt.Stages.Lap("memory in");
        return null;
    }

    /// <summary>The checkpoint from the lock to the commit, once nothing says it is not wanted now.</summary>
    private async Task<CheckpointOutcome> CheckpointNowAsync(CheckpointAttempt attempt)
    {
        // Object storage that stops answering must not hold the app's SIGTERM past the budget.
        using IDisposable storeDeadline = _store.Within(attempt.Budget.Remaining);
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
        DumpEnd end = await _dumpAndCommit.TakeAsync(run).ConfigureAwait(false);
        return end.DroppedBecause is { } why ? await FillThenDumpAgainAsync(run, why).ConfigureAwait(false) : end.Outcome;
    }

    /// <summary>
    /// After a dump that could not take the app's memory as it is was dropped (<see cref="DumpOutcomes.Drop"/>): the fill goes on
    /// into the app CRIU left stopped; once the memory is all in, the app runs again (a dump of a stopped app restores it stopped)
    /// and is dumped the ordinary way, into a new staging area, and committed.
    /// </summary>
    /// <param name="why">Why the dropped dump could not take the memory as it is.</param>
    private async Task<CheckpointOutcome> FillThenDumpAgainAsync(DumpRun dropped, string why)
    {
        CheckpointAttempt attempt = dropped.Attempt;
        if (!await _arrivalWait.AfterDropAsync(dropped, why).ConfigureAwait(false))
        {
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
        }
        attempt.TakeAllIn();
        if (BeginStaging(attempt) is not { } staging)
        {
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
        }
        attempt.LetRunForASecondDump();
        DumpEnd end = await _dumpAndCommit.TakeAsync(new DumpRun(attempt, staging, dropped.Clock)).ConfigureAwait(false);
        return end.Outcome;
    }

    /// <summary>The image directory's lock, or null (and why, logged) when crik cannot or must not checkpoint.</summary>
    private IDisposable? TryLock(CheckpointAttempt attempt, TimeSpan wait)
    {
        try
        {
            IDisposable? directoryLock = _store.TryLock(wait);
            if (directoryLock is null)
            {
                _log.Error(new Happening.CheckpointSkipped(attempt.Reason.Label(), $"another crik holds {_store.ImageDir}/.lock"),
                    "Not checkpointing: another crik holds {Dir}/.lock; {Then}", _store.ImageDir, attempt.ThenTheApp);
            }
            return directoryLock;
        }
        catch (IOException e)
        {
            _log.Error(new Happening.CheckpointSkipped(attempt.Reason.Label(), e.Message), "Not checkpointing: {Error}; {Then}", e.Message, attempt.ThenTheApp);
            return null;
        }
    }

    /// <summary>The staging area of the next generation, or null (and why, logged) when the store cannot make one.</summary>
    private StagingCheckpoint? BeginStaging(CheckpointAttempt attempt)
    {
        try
        {
            StagingCheckpoint staging = _store.BeginCheckpoint();
            attempt.Stages.Lap("staging");
            return staging;
        }
        catch (IOException e)
        {
            attempt.GiveUp(); // before the lock's release, which a store that stopped answering makes slow
            _log.Error(new Happening.CheckpointSkipped(attempt.Reason.Label(), e.Message), "Not checkpointing: {Error}; {Then}", e.Message, attempt.ThenTheApp);
            return null;
        }
    }
}

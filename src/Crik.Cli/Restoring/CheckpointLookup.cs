using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.Observing;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// Takes the image directory's lock for the app's life and chooses the checkpoint to restore. Another
/// crik's lock is waited for (in object storage, a lease whose holder died expires after leaseDuration),
/// so this pod never starts a second copy; a store that cannot be read is waited for as <see cref="StoreUnavailableStep"/> says.
/// </summary>
internal sealed class CheckpointLookup(CrikConfig config, ICheckpointStore store, ILogger log)
{
    /// <summary>How long listing and reading the store may take after the lock was taken at the very end of lockWait.</summary>
    private static readonly TimeSpan ListingGrace = TimeSpan.FromSeconds(10);

    /// <summary>The checkpoint to restore, or why the app starts fresh: the store answered and holds none, or onStoreUnavailable: start.</summary>
    public Found Find(IReadOnlyList<string> command, StageClock stages, bool sayNone = true)
    {
        var waiting = Stopwatch.StartNew();
        var unsure = new StoreUnavailableStep(config, store.ImageDir, log);
        using IDisposable waits = WaitsBeforeTheApp.Begin();
        while (true)
        {
            TimeSpan left = config.LockWait > waiting.Elapsed ? config.LockWait - waiting.Elapsed : TimeSpan.Zero;
            try
            {
                // Every request of this try gives up by the end of lockWait, with time after it to list what the lock guards.
                using IDisposable finding = store.Within(left + ListingGrace);
                // A lease lost while the store was failing (longer than leaseDuration) is taken again, or waited for.
                if (store.Held?.State is null or HoldState.Lost)
                {
                    Hold(left, waiting);
                    // No line: every restore takes the lock first (a wait for it has its own, and the stages say how long).
                    LoggedHappenings.WithoutLine(new Happening.LeaseChanged(LeaseState.Held));
                    stages.Lap("lock");
                }
                CommittedCheckpoint? checkpoint = store.FindRestorable(AppIdentity.Of(command));
                stages.Lap("choosing");
                if (checkpoint is null)
                {
                    if (sayNone)
                    {
                        log.Information("No checkpoint to restore in {Dir}; starting the app fresh", store.ImageDir);
                    }
                    return new Found(null, $"no checkpoint to restore in {store.ImageDir}");
                }
                return new Found(checkpoint, null);
            }
            catch (ProgramUnreadableException e)
            {
                throw new RestoreFailedException($"{e.Message}. Every checkpoint in {store.ImageDir} stays and nothing starts: make the program "
                    + "there again (the image, PATH, its permissions) and the next pod restores the newest");
            }
            catch (Exception e) when (e is not (RestoreFailedException or PodStoppingException))
            {
                // Unknown is not empty: a store that cannot be listed, locked or read may hold the checkpoint to resume.
                log.Debug(e, "Looking for a checkpoint in {Dir} failed", store.ImageDir);
                if (unsure.Act(TroubleWith.Lookup, e, waiting.Elapsed) is { } whyFresh)
                {
                    return new Found(null, whyFresh);
                }
            }
        }
    }

    /// <summary>Takes the lock held for the app's life within <paramref name="left"/>; throws when another crik keeps it.</summary>
    private void Hold(TimeSpan left, Stopwatch waiting)
    {
        if (!store.Hold(left, stillWaiting: () => log.Warning(new Happening.WaitingForLock(store.ImageDir, waiting.Elapsed, config.LockWait),
                "Waiting for {Dir}: another crik holds it, so its app may still run; this pod starts nothing until it is released ({Seconds:0} s of lockWait's {Wait:0} s)",
                store.ImageDir, waiting.Elapsed.TotalSeconds, config.LockWait.TotalSeconds)))
        {
            throw new RestoreFailedException($"{store.ImageDir} is still held by another crik after lockWait ({config.LockWait.TotalSeconds:0} s): its app may "
                + "still run, and crik never starts a second copy. crik exits so that Kubernetes starts this pod again; if no other pod runs the app, "
                + (store.DeadHolderLockTime > TimeSpan.Zero ? $"its lease expires within leaseDuration ({store.DeadHolderLockTime.TotalSeconds:0} s)"
                    : "find the process that holds the volume's .lock (fuser or lsof on the node); never delete .lock, which lets the next pod run the app "
                        + "beside the one holding it"));
        }
    }

    /// <summary>The checkpoint to restore; when there is none, why the app starts fresh.</summary>
    public readonly record struct Found(CommittedCheckpoint? Checkpoint, string? WhyFresh);
}

using Crik.Cli.Records;
using Crik.Cli.Timing;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Where generations live and what becomes of them (<see cref="GenerationStore"/>, over a volume or
/// object storage): a generation exists only once its manifest is written last; it is restored as
/// often as pods need it until a newer one is committed or its app ends on its own; what cannot be
/// restored, or keeps dying once restored, is set aside with its reason, never deleted.
/// </summary>
internal interface ICheckpointStore : IDisposable
{
    /// <summary>Where the generations are, for messages: a path or an s3:// address.</summary>
    string ImageDir { get; }

    /// <summary>How long the lock of a crik that died can still keep others out: none on a volume (flock ends with its process), a lease's lifetime in object storage.</summary>
    TimeSpan DeadHolderLockTime { get; }

    IDisposable? TryLock(TimeSpan timeout);

    /// <summary>Takes the lock for the app's whole life (released when the store is disposed); false when another crik kept it for all of <paramref name="timeout"/>.</summary>
    bool Hold(TimeSpan timeout, Action? stillWaiting = null);

    /// <summary>The state of the lock held for the app's life; null when none is held.</summary>
    HoldState? Holding { get; }

    /// <summary>Until disposed, the store gives up on requests once <paramref name="limit"/> has passed (object storage; a volume has no requests to give up).</summary>
    IDisposable Within(TimeSpan limit);

    StagingCheckpoint BeginCheckpoint();

    void Abandon(StagingCheckpoint staging);

    CommitResult Commit(StagingCheckpoint staging, Manifest manifest, int keep, Func<string?>? whyNot = null, StageClock? stages = null);

    CommittedCheckpoint? FindRestorable(AppIdentity? current = null);

    RestoreAttempt BeginRestore(CommittedCheckpoint checkpoint);

    int RetireCommitted();

    void CancelRestore(RestoreAttempt attempt);

    void MarkRestoreSurvived();

    void MarkLoadFailed();

    void PutBackSavedFiles(RestoreAttempt attempt);

    ImageFiles WriteImageFiles(RestoreAttempt attempt);

    void RestoreSucceeded(RestoreAttempt attempt);

    string RestoreFailed(RestoreAttempt attempt, string reason);

    string SetAside(CommittedCheckpoint checkpoint, string reason);

    /// <param name="callerRetries">The caller waits out a store that does not answer itself: a request is tried twice more within a few tenths of a second at most, and cut when it stalls.</param>
    Chunks.PackReader OpenPackReader(bool callerRetries = false);
}

using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// What becomes of committed generations as pods restore them: which to restore, each attempt and how it ended, a
/// restored app that survived or whose memory could not be loaded, and what is set aside (with its reason, never
/// deleted).
/// </summary>
internal interface IRestoreLedger
{
    CommittedCheckpoint? FindRestorable(AppIdentity? current = null);

    RestoreAttempt BeginRestore(CommittedCheckpoint checkpoint);

    void CancelRestore(RestoreAttempt attempt);

    void RestoreSucceeded(RestoreAttempt attempt);

    string RestoreFailed(RestoreAttempt attempt, string reason);

    string SetAside(CommittedCheckpoint checkpoint, string reason);

    void MarkRestoreSurvived();

    void MarkLoadFailed();
}

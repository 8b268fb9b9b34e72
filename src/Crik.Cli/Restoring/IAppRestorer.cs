using Crik.Cli.Processes;

namespace Crik.Cli.Restoring;

/// <summary>Brings the app back from a checkpoint, when there is one to restore.</summary>
internal interface IAppRestorer
{
    /// <summary>
    /// The restored app, now crik's child; null when there is nothing to restore or the restore did
    /// not happen (start fresh). Throws <see cref="RestoreFailedException"/> when the app must not start at
    /// all (another crik holds the image directory, crik cannot tell whether it holds a checkpoint, onRestoreFailure: fail).
    /// </summary>
    Task<RunningApp?> TryRestoreAsync(IReadOnlyList<string> command);

    /// <summary>
    /// Looking for or restoring a checkpoint failed in a way nobody expected, so crik cannot tell whether one exists: why the
    /// app starts fresh (onStoreUnavailable: start, said in the log), or <see cref="RestoreFailedException"/> when nothing starts.
    /// </summary>
    string StartFreshOrStop(Exception error);

    /// <summary>Why the last <see cref="TryRestoreAsync"/> returned null: the app starts fresh.</summary>
    string? WhyFresh { get; }

    /// <summary>How long a restored app runs before a pod that dies no longer counts against its generation (restoreProbation).</summary>
    TimeSpan Probation { get; }

    /// <summary>The restored app ran for <see cref="Probation"/>: its restore no longer counts towards the crash-loop guard. Failures are logged.</summary>
    void RestoreSurvived(RunningApp app);

    /// <summary>
    /// A lazily restored app's memory could not all be brought in and the app was killed: the
    /// generation is restored eagerly from now on. Logs it.
    /// </summary>
    void MemoryLoadFailed(RunningApp app, string failure);
}

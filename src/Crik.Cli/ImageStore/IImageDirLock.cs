using Crik.Cli.Locking;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The image directory as one crik holds it: its lock (for a checkpoint, or for the app's whole life) and its
/// state, and the time limit on its requests.
/// </summary>
internal interface IImageDirLock
{
    /// <summary>Where the generations are, for messages: a path or an s3:// address.</summary>
    string ImageDir { get; }

    /// <summary>How long the lock of a crik that died can still keep others out: none on a volume (flock ends with its process), a lease's lifetime in object storage.</summary>
    TimeSpan DeadHolderLockTime { get; }

    IDisposable? TryLock(TimeSpan timeout);

    /// <summary>Takes the lock for the app's whole life (released when the store is disposed); false when another crik kept it for all of <paramref name="timeout"/>.</summary>
    bool Hold(TimeSpan timeout, Action? stillWaiting = null);

    /// <summary>The lock held for the app's life, whose state says whether it is still ours; null when none is held.</summary>
    IStoreLock? Held { get; }

    /// <summary>Until disposed, the store gives up on requests once <paramref name="limit"/> has passed (object storage; a volume has no requests to give up).</summary>
    IDisposable Within(TimeSpan limit);
}

using Crik.Cli.Chunks;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A large new blob being written (<see cref="IStoreBackend.CreateUpload"/>): bytes at offsets, from several threads
/// in any order (<see cref="IPackTarget.Write"/>), then <see cref="Complete"/> or <see cref="Abort"/>. Each of them is one
/// call the store's wrappers wrap (<see cref="BackendWrapper"/>: retried, fenced, bounded, counted), so each may be sent again
/// after a failure and must leave the same blob: a write at an offset rewrites the same bytes there (a volume's pwrite, object
/// storage's part, re-sent under its number), a completion repeated finds the blob it completed.
/// </summary>
internal interface IBlobUpload : IPackTarget
{
    /// <summary>
    /// The size of the parts the upload takes, when it takes only whole parts (object storage's multipart upload): each write then
    /// one part at its offset, a multiple of it, and only the last part shorter, written just before <see cref="Complete"/>.
    /// <see cref="PackParts"/> puts a pack's chunks into such parts (<see cref="StoreBackendCalls.CreatePackUpload"/>). Null:
    /// any bytes at any offset (a file on a volume).
    /// </summary>
    int? WholeParts => null;

    /// <summary>Whether <see cref="Complete"/> succeeded: the blob is at its key, whole.</summary>
    bool Completed { get; }

    /// <summary>
    /// Makes the blob whole at its key. In object storage the upload completes (only if no object is there); on a
    /// volume the file was at its key all along, and goes to disk with the next flush of its file system (no flush
    /// of its own: the pack's writeback runs while it is written). Throws an IOException when it cannot.
    /// </summary>
    void Complete();

    /// <summary>
    /// Drops an upload that did not complete, so that nothing of it stays at its key; after <see cref="Complete"/> it
    /// does nothing (delete the blob by its key). Throws an IOException when the store could not be told: it runs on paths
    /// that are already failing, so callers log it (<see cref="StoreBackendCalls.AbortQuietly"/>), and the store's own clean-up
    /// takes what is left later (a volume's retention, object storage's lifecycle rule).
    /// </summary>
    void Abort();
}

using Crik.Cli.Chunks;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A large new blob being written (<see cref="IStoreBackend.CreateUpload"/>): bytes at offsets, from several threads
/// in any order (<see cref="IPackTarget.Write"/>), then <see cref="Complete"/> or <see cref="Abort"/>.
/// </summary>
internal interface IBlobUpload : IPackTarget
{
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
    /// does nothing (delete the blob by its key). Never throws: it runs on paths that are already failing; what it
    /// cannot drop it logs, and the store's own clean-up takes later (a volume's retention, object storage's lifecycle rule).
    /// </summary>
    void Abort();
}

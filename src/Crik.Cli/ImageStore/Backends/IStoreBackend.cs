using Crik.Cli.Interop;
using Crik.Cli.Locking;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The storage under <see cref="GenerationStore"/>: a volume (<see cref="VolumeBackend"/>) or object
/// storage (<see cref="ObjectBackend"/>). It reads, writes, moves and deletes blobs it is told to,
/// durably and without following links, and knows nothing of generations or chunks. A path is relative
/// to the image directory: <c>restores/000007-001</c>, <c>packs/000007.pack</c>, or a generation's
/// location (<c>checkpoint-000007</c>, <c>retired/checkpoint-000007</c>,
/// <c>set-aside/checkpoint-000007-20261123T100000Z</c>) and the files in it. Retries, deadlines, fencing by the lease
/// and counting are wrappers around any backend (<see cref="StoreStack"/>); packs are read above it
/// (<see cref="PackReading"/>) over <see cref="OpenRead"/>.
/// </summary>
/// <remarks>
/// Every member is a primitive on keys. A dump's staging and its commit (<see cref="StagingCheckpoint"/>), moving
/// (<see cref="GenerationMove"/>), deleting (<see cref="GenerationDeletion"/>) and verifying
/// (<see cref="GenerationVerifier"/>) a generation, and a restore's work directory (<see cref="RestoreWorkspace"/>) are above it.
/// </remarks>
internal interface IStoreBackend : IDisposable
{
    /// <summary>Where the store is, and whether its keys name directories. Its side on this node is apart (<see cref="INodeDirectories"/>).</summary>
    StoreDescription Description { get; }

    /// <summary>The image directory's lock, or null when another holder kept it for all of <paramref name="timeout"/>.</summary>
    /// <param name="stillWaiting">Called every few seconds while another holder keeps it.</param>
    IStoreLock? TryLock(TimeSpan timeout, Action? stillWaiting = null);

    /// <summary>
    /// The entries below each of <paramref name="prefixes"/> ("" or a directory ending in /), as one request: on a
    /// volume those directly in each directory (none when it is absent or not a directory), a directory being one
    /// entry (links are listed, never followed); in object storage every object whose key starts with one of them,
    /// each once. <see cref="StoreListingReader"/> reads them as generations.
    /// </summary>
    /// <remarks>A volume lists one level at a time, so a listing of the image directory names crik's own directories too.</remarks>
    List<StoredEntry> List(IReadOnlyList<string> prefixes);

    /// <summary>
    /// The blob at <paramref name="key"/>, to read ranges of (<see cref="IBlobReader"/>) for as long as it is held: on a
    /// volume the file opened once (null when absent; a link, a FIFO or a directory there is refused); in object storage
    /// no request until the first range is read, each range one GET, and no length asked first.
    /// </summary>
    IBlobReader? OpenRead(string key);

    /// <summary>What is at <paramref name="key"/> (a file, or on a volume a directory or a link, never followed); null when nothing is.</summary>
    StoredStatus? Describe(string key);

    /// <summary>Writes a new file, durably; false when one of that name exists (it is left as it is).</summary>
    bool WriteIfAbsent(string path, byte[] content);

    /// <summary>
    /// Deletes a file (an object), or on a volume a directory with everything in it; what is absent is not
    /// an error. What a generation's deletion is, and in which order, is <see cref="GenerationDeletion"/>'s.
    /// </summary>
    void Delete(string path);

    /// <summary>
    /// Moves what is at <paramref name="from"/> (a file, or on a volume a directory with everything in it) to
    /// <paramref name="to"/>, durably.
    /// <para><see cref="MoveMode.Replace"/> replaces what is there and returns true; nothing at <paramref name="from"/> is an
    /// <see cref="IOException"/>. On a volume one rename (what an earlier move cut short left at <paramref name="to"/> is
    /// deleted first); in object storage one object copied in the store and then deleted, so that a crash in between
    /// leaves it in both places.</para>
    /// <para><see cref="MoveMode.NoReplace"/> moves nothing and returns false when something is at <paramref name="to"/>; once
    /// it has moved it returns true, even when the flush after it fails (a warning). On a volume one
    /// renameat2(RENAME_NOREPLACE), atomic (see <see cref="DirectoryHandle.RenameNoReplace"/>); in object storage a look
    /// at <paramref name="to"/>, a copy in the store, then the delete: a writer between the look and the copy is not seen
    /// (the lease keeps other writers out).</para>
    /// Which keys a generation's move carries, and in which order, is <see cref="GenerationMove"/>'s.
    /// </summary>
    bool Move(string from, string to, MoveMode mode);

    /// <summary>
    /// Copies the file (the object) at <paramref name="from"/> to <paramref name="to"/>, durably, replacing what is
    /// there; false when nothing is at <paramref name="from"/>. In object storage one copy in the store
    /// (x-amz-copy-source: no byte goes through crik); on a volume the contents written under a temporary name beside
    /// <paramref name="to"/>, flushed and renamed over it, so that the copy appears whole or not at all. A link or a
    /// directory at <paramref name="from"/> is refused, as by <see cref="OpenRead"/>.
    /// </summary>
    bool Copy(string from, string to);

    /// <summary>
    /// A new blob at <paramref name="key"/>, written while it is made (a pack, as CRIU dumps): in object storage a
    /// multipart upload, invisible until complete, with no copy on disk, taking whole parts (<see cref="IBlobUpload.WholeParts"/>;
    /// a pack's chunks go through <see cref="StoreBackendCalls.CreatePackUpload"/>); on a volume a file created only if absent
    /// (one there, a planted link included, is refused), at its key from the start, written back to disk early.
    /// </summary>
    IBlobUpload CreateUpload(string key);

    /// <summary>
    /// The uploads (<see cref="CreateUpload"/>) under <paramref name="prefix"/> that were started and never completed nor aborted, their
    /// keys relative to the image directory; null when the store cannot list them (its lifecycle rule drops them). In object storage the
    /// multipart uploads, kept apart from the objects until complete. None on a volume, whose upload is a file at its key from the start:
    /// what a killed dump left there is a blob like any other (<see cref="List"/>), a pack no manifest uses, which retention deletes.
    /// </summary>
    List<UnfinishedUpload>? ListUnfinishedUploads(string prefix);

    /// <summary>
    /// Aborts an upload <see cref="ListUnfinishedUploads"/> gave, so that the store drops what was written of it: true once it is gone
    /// (gone already included); false when the store cannot abort uploads (its lifecycle rule will drop it), and always on a volume, which has none.
    /// </summary>
    bool AbortUpload(UnfinishedUpload upload);
}

/// <summary>Whether a move may replace what is at its target.</summary>
internal enum MoveMode
{
    Replace,
    NoReplace,
}

/// <summary>What a backend is, apart from its blobs.</summary>
/// <param name="ImageDir">Where the generations are, for messages: a path or an s3:// address.</param>
/// <param name="HasDirectories">
/// Whether keys name directories as well as files (a volume), or only objects, whose keys merely share prefixes (object
/// storage). Directories have owners and modes (<see cref="IStoreBackend.Describe"/>) and are listed one level at a time.
/// </param>
/// <param name="ReadsWaitOnNetwork">Whether each read waits on the network (object storage), so that several at once hide the wait.</param>
internal sealed record StoreDescription(string ImageDir, bool HasDirectories, bool ReadsWaitOnNetwork);

using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The storage under <see cref="GenerationStore"/>: a volume (<see cref="VolumeBackend"/>) or object
/// storage (<see cref="ObjectBackend"/>). It reads, writes, moves and deletes what it is told to,
/// durably and without following links, and decides nothing about generations. A path is relative
/// to the image directory: <c>restores/000007-001</c>, <c>packs/000007.pack</c>, or a generation's
/// location (<c>checkpoint-000007</c>, <c>retired/checkpoint-000007</c>,
/// <c>set-aside/checkpoint-000007-20261123T100000Z</c>) and the files in it. What concerns directories on this node
/// (CRIU's) rather than blobs is <see cref="Node"/>'s. Request deadlines, fencing
/// by the lease and which errors say nothing about an entry are not members: they are wired around a
/// backend where it is made (<see cref="StoreRequests"/>).
/// </summary>
/// <remarks>
/// Every member is a primitive on keys. A dump's staging and its commit (<see cref="StagingCheckpoint"/>), moving
/// (<see cref="GenerationMove"/>), deleting (<see cref="GenerationDeletion"/>) and verifying
/// (<see cref="GenerationVerifier"/>) a generation, and a restore's work directory (<see cref="RestoreWorkspace"/>) are above it.
/// </remarks>
internal interface IStoreBackend : IDisposable
{
    /// <summary>Where the generations are, for messages: a path or an s3:// address.</summary>
    string ImageDir { get; }

    /// <summary>
    /// Whether keys name directories as well as files (a volume), or only objects, whose keys merely share
    /// prefixes (object storage). Directories have owners and modes (<see cref="Describe"/>) and are listed one level at a time.
    /// </summary>
    bool HasDirectories { get; }

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

    /// <summary>A small file (a manifest, a restore mark), at most <paramref name="max"/> bytes + 1; null when absent.</summary>
    byte[]? Read(string path, long max);

    /// <summary>
    /// Up to <paramref name="length"/> bytes of a file from <paramref name="offset"/>: fewer at its end, none from
    /// its end on; null when absent. On a volume a link, a FIFO or a directory there is refused, as by <see cref="Read(string, long)"/>.
    /// </summary>
    byte[]? Read(string path, long offset, int length);

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
    /// <paramref name="to"/>, durably, replacing what is there: once this returns it is at <paramref name="to"/> and
    /// no longer at <paramref name="from"/>; nothing there is an <see cref="IOException"/>. On a volume one rename
    /// (what an earlier move cut short left at <paramref name="to"/> is deleted first); in object storage one object,
    /// copied in the store and then deleted, so a crash in between leaves it in both places. Which keys a generation's
    /// move carries, and in which order, is <see cref="GenerationMove"/>'s.
    /// </summary>
    void Move(string from, string to);

    /// <summary>
    /// Copies the file (the object) at <paramref name="from"/> to <paramref name="to"/>, durably, replacing what is
    /// there; false when nothing is at <paramref name="from"/>. In object storage one copy in the store
    /// (x-amz-copy-source: no byte goes through crik); on a volume the contents written under a temporary name beside
    /// <paramref name="to"/>, flushed and renamed over it, so that the copy appears whole or not at all. A link or a
    /// directory at <paramref name="from"/> is refused, as by <see cref="Read(string, long)"/>.
    /// </summary>
    bool Copy(string from, string to);

    /// <summary>
    /// Renames what is at <paramref name="from"/> (a file, or on a volume a directory with everything in it) to
    /// <paramref name="to"/> unless something is there: then false, and nothing moved. Once it has renamed it returns
    /// true, even when the flush after it fails (a warning): what moved must not be taken as not moved. On a volume one
    /// renameat2(RENAME_NOREPLACE), atomic (see <see cref="DirectoryHandle.RenameNoReplace"/> for a file system without
    /// it). In object storage one object: a look at <paramref name="to"/>, a copy in the store, then the delete; a
    /// writer between the look and the copy is not seen (the lease keeps other writers out), and a crash before the
    /// delete leaves both.
    /// </summary>
    bool RenameNoReplace(string from, string to);

    /// <summary>
    /// A new blob at <paramref name="key"/>, written while it is made (a pack, as CRIU dumps): in object storage a
    /// multipart upload, invisible until complete, with no copy on disk; on a volume a file created only if absent
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

    /// <summary>The store's side on this node, apart from its blobs: directories for CRIU, their modes, files put from them at keys.</summary>
    INodeDirectories Node { get; }

    /// <param name="callerRetries">
    /// The caller waits out a store that does not answer itself (a lazy restore's fill): a request is tried
    /// twice more within a few tenths of a second at most, and cut when it stalls, so that the caller hears of a failure at once.
    /// </param>
    PackReader OpenPackReader(ChunkCodec codec, bool callerRetries = false);
}

/// <summary>Listing one prefix.</summary>
internal static class StoreBackendListing
{
    /// <summary>The entries below <paramref name="prefix"/> (see <see cref="IStoreBackend.List"/>).</summary>
    public static List<StoredEntry> List(this IStoreBackend backend, string prefix) => backend.List([prefix]);
}

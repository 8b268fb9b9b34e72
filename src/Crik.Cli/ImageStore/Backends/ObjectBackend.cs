using Crik.Cli.Interop;
using Crik.Cli.Locking;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// Generations in object storage (<c>imageDir: s3://bucket/prefix</c>), laid out as on a volume:
/// <c>checkpoint-000007/manifest.json</c> (and <c>manifest.hmac</c>), <c>packs/000007.pack</c>,
/// <c>retired/…</c>, <c>set-aside/…</c> (with <c>SET-ASIDE-REASON.txt</c>), <c>restores/…</c> and
/// CRIU's logs in <c>logs/</c>. Nothing of a generation but chunks and its manifest goes to the store:
/// carried files and CRIU's stats are sealed into chunks too. CRIU works in a private scratch
/// directory on the node, which holds only the image streamer's socket and CRIU's log.
/// </summary>
/// <remarks>
/// Each request is sent once (<see cref="S3Client.OneAttemptEach"/>): the primitives, each range of a blob, each part and the
/// completion of a pack's multipart upload (<see cref="MultipartUpload"/>), and a log put from the node (<see cref="NodeSide"/>);
/// retries, deadlines, fencing and counting are the wrappers' (<see cref="StoreStack"/>). Only the lease (<see cref="S3Lease"/>),
/// S3's own protocol over many requests that keeps others out, talks to the store through <paramref name="s3"/> itself: with its
/// retries and its counting, and with deadlines of its own; it must not be fenced by itself. The pack is uploaded while CRIU dumps
/// (<see cref="CreateUpload"/>: a multipart upload, invisible until complete), and <see cref="StagingCheckpoint"/> writes the
/// manifest last, after the pack is complete: a generation becomes visible with it (<see cref="ManifestCommit"/>). A move is a copy
/// in the store and then a delete, one object at a time (<see cref="GenerationMove"/>). Two pods sharing a prefix take turns
/// through a lease object (<c>.lock</c>, written only if absent) where the store has conditional writes.
/// </remarks>
internal sealed class ObjectBackend(S3Client s3, ILogger log, TimeSpan? leaseLifetime = null, TimeSpan? leaseDoubtLimit = null) : IStoreBackend
{
    private readonly S3Client _once = s3.OneAttemptEach();

    /// <summary>Keys without directories, each read over the network.</summary>
    public StoreDescription Description { get; } = new(s3.Address.ToString().TrimEnd('/'), HasDirectories: false, ReadsWaitOnNetwork: true);

    /// <summary>Its side on this node: nothing there but what it uploads (<see cref="ObjectNodeSide"/>), each upload one request.</summary>
    public INodeDirectories NodeSide => new ObjectNodeSide(_once);

    /// <summary>The size of a pack's parts (<see cref="MultipartUpload.DefaultPartBytes"/>; smaller in tests).</summary>
    public int PartBytes { get; init; } = MultipartUpload.DefaultPartBytes;

    /// <summary>A lease on <c>.lock</c> (see <see cref="S3Lease"/>).</summary>
    public IStoreLock? TryLock(TimeSpan timeout, Action? stillWaiting = null) =>
        S3Lease.TryAcquire(s3, StoreLayout.LockFile, timeout, leaseLifetime, log, stillWaiting, leaseDoubtLimit);

    /// <summary>One LIST (page by page) for each prefix no other one starts: the listing of "" holds every other.</summary>
    public List<StoredEntry> List(IReadOnlyList<string> prefixes) =>
        prefixes.Distinct(StringComparer.Ordinal)
            .Where(p => !prefixes.Any(other => other.Length < p.Length && p.StartsWith(other, StringComparison.Ordinal)))
            .SelectMany(_once.List)
            .Select(o => new StoredEntry(o.Name, FileKind.Regular, o.Modified)).ToList();

    /// <summary>
    /// The object, asked nothing yet: each range read is one GET (<c>Range: bytes=offset-end</c>), with no HEAD before it, so that a
    /// capped read of a small file is one request and a pack's chunks one request each. A store that ignores Range answers 200 with
    /// the whole object, of which only the range is kept; a range from the object's end on (416) is no bytes.
    /// </summary>
    public IBlobReader? OpenRead(string key) => new ObjectBlob(_once, key);

    public StoredStatus? Describe(string key) => _once.TryGetLength(key) is { } size ? new StoredStatus(FileKind.Regular, size) : null;

    public bool WriteIfAbsent(string path, byte[] content) => _once.PutIfAbsent(path, content) is not null;

    public void Delete(string path) => _once.Delete(path);

    /// <summary>
    /// One object: a copy in the store (S3 has no rename), then the delete of the original; when it may not replace, a look at the
    /// target first. Sent again as a whole after a lost answer, it may find its own copy or delete done: a move that must outlast
    /// lost answers is a copy and a delete called one by one (<see cref="GenerationMove"/>).
    /// </summary>
    public bool Move(string from, string to, MoveMode mode)
    {
        if (mode == MoveMode.NoReplace && _once.TryGetLength(to) is not null)
        {
            return false;
        }
        if (!_once.Copy(from, to))
        {
            throw new IOException($"{_once.Display(from)} vanished before crik could move it");
        }
        if (mode == MoveMode.Replace)
        {
            _once.Delete(from);
            return true;
        }
        try
        {
            _once.Delete(from);
        }
        catch (IOException e)
        {
            log.Warning("{To} is in place, but crik could not delete {From} after copying it: {Error}", _once.Display(to), _once.Display(from), e.Message);
        }
        return true;
    }

    /// <summary>One request: the store copies the object itself.</summary>
    public bool Copy(string from, string to) => _once.Copy(from, to);

    /// <summary>A multipart upload (<see cref="MultipartUpload"/>), started by its first part: nothing is at <paramref name="key"/> until it completes.</summary>
    public IBlobUpload CreateUpload(string key) => new MultipartUpload(_once, key, PartBytes, log);

    /// <summary>The pack's multipart uploads under <paramref name="prefix"/>, page by page; null when the store cannot list them (405, 501).</summary>
    public List<UnfinishedUpload>? ListUnfinishedUploads(string prefix) =>
        _once.TryListUploads(prefix)?.Select(u => new UnfinishedUpload(u.Name, u.UploadId, u.Initiated)).ToList();

    /// <summary>One abort of the multipart upload (<c>DELETE ?uploadId=</c>); false when the store cannot (405, 501).</summary>
    public bool AbortUpload(UnfinishedUpload upload) => _once.TryAbortUpload(upload.Key, upload.Id);

    public void Dispose()
    {
    }
}

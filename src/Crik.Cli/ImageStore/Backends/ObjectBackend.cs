using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Crik.Cli.ObjectStorage;
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
/// The pack is uploaded while CRIU dumps (<see cref="CreateUpload"/>: a multipart upload, invisible until complete),
/// and <see cref="StagingCheckpoint"/> writes the manifest last, after the pack is complete: a generation becomes
/// visible with it (<see cref="ManifestCommit"/>). A move is a copy in the store and then a delete, one object at a time
/// (<see cref="GenerationMove"/>). Two pods sharing a prefix take turns through a lease object (<c>.lock</c>, written only
/// if absent) where the store has conditional writes.
/// </remarks>
internal sealed partial class ObjectBackend(S3Client s3, ILogger log, TimeSpan? leaseLifetime = null, TimeSpan? leaseDoubtLimit = null) : IStoreBackend, INodeDirectories
{
    public string ImageDir => s3.Address.ToString().TrimEnd('/');

    public bool HasDirectories => false;

    /// <summary>A lease on <c>.lock</c> (see <see cref="S3Lease"/>).</summary>
    public IStoreLock? TryLock(TimeSpan timeout, Action? stillWaiting = null) =>
        S3Lease.TryAcquire(s3, StoreLayout.LockFile, timeout, leaseLifetime, log, stillWaiting, leaseDoubtLimit);

    /// <summary>One LIST (page by page) for each prefix no other one starts: the listing of "" holds every other.</summary>
    public List<StoredEntry> List(IReadOnlyList<string> prefixes) =>
        prefixes.Distinct(StringComparer.Ordinal)
            .Where(p => !prefixes.Any(other => other.Length < p.Length && p.StartsWith(other, StringComparison.Ordinal)))
            .SelectMany(s3.List)
            .Select(o => new StoredEntry(o.Name, FileKind.Regular, o.Modified)).ToList();

    /// <summary>
    /// The object's first <paramref name="max"/> + 1 bytes at most, as on a volume (the caller tells a file too large by its length):
    /// one GET of the range <c>bytes=0-max</c>, so that a large object is never downloaded whole.
    /// </summary>
    public byte[]? Read(string path, long max) => s3.TryGetStart(path, max + 1);

    /// <summary>A ranged GET after asking the object's length (so that the range asked is never past its end).</summary>
    public byte[]? Read(string path, long offset, int length)
    {
        if (s3.TryGetLength(path) is not { } size)
        {
            return null;
        }
        var bytes = new byte[(int)Math.Clamp(size - offset, 0, length)];
        s3.ReadRange(path, offset, bytes);
        return bytes;
    }

    public StoredStatus? Describe(string key) => s3.TryGetLength(key) is { } size ? new StoredStatus(FileKind.Regular, size) : null;

    public bool WriteIfAbsent(string path, byte[] content) => s3.PutIfAbsent(path, content) is not null;

    public void Delete(string path) => s3.Delete(path);

    /// <summary>One object: a copy in the store (S3 has no rename), then the delete of the original.</summary>
    public void Move(string from, string to)
    {
        if (!s3.Copy(from, to))
        {
            throw new IOException($"{s3.Display(from)} vanished before crik could move it");
        }
        s3.Delete(from);
    }

    /// <summary>One request: the store copies the object itself.</summary>
    public bool Copy(string from, string to) => s3.Copy(from, to);

    public void MakePrivate(string location)
    {
    }

    public PackReader OpenPackReader(ChunkCodec codec, bool callerRetries = false)
    {
        S3Client reads = callerRetries ? s3.ForCallerRetries(StalledReadLimit) : s3;
        return new(generation => S3PackSource.TryOpen(reads, PackKey(generation)), codec) { ConcurrentReads = 4 };
    }

    /// <summary>How long one read of a chunk (at most a few MiB) may take before it is cut and sent again, when its caller retries.</summary>
    public static readonly TimeSpan StalledReadLimit = TimeSpan.FromSeconds(15);

    public void Dispose()
    {
    }

    private static string PackKey(long generation) => StoreLayout.PackKey(generation);
}

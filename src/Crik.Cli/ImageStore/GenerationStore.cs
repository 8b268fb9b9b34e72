using System.Text.Json;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The one owner of a generation's lifecycle, whatever stores it (<see cref="IStoreBackend"/>: a
/// volume or object storage). A generation is staged while CRIU dumps, committed when its manifest
/// is written last, restored as often as pods need it (each restore recorded under <c>restores/</c>
/// before CRIU runs), retired when its app ended on its own, set aside with a reason when it cannot
/// be restored or its restored pods keep dying, and deleted only by retention after a newer commit.
/// Every one of those decisions is made here; backends only carry them out.
/// </summary>
/// <param name="requests">What object storage wires around its backend (deadlines, fencing); none on a volume.</param>
internal partial class GenerationStore(IStoreBackend backend, ILogger log, ChunkCodec? codec = null, StoreRequests? requests = null) : ICheckpointStore
{
    private readonly ChunkCodec _codec = codec ?? ChunkCodec.Plain;
    private readonly StoreRequests _requests = requests ?? StoreRequests.None;
    private volatile IStoreLock? _lock;
    private volatile IStoreLock? _held;
    private readonly HashSet<StagingCheckpoint> _staged = [];

    /// <summary>The generation and restore number of the restore this crik began, until its app lived on.</summary>
    private (long Generation, int Number)? _restored;

    /// <summary>The generation and restore number of the restore this crik began, for as long as this crik runs.</summary>
    private (long Generation, int Number)? _lastRestore;

    /// <summary>How many restores in a row whose pods ended before the app survived its probation crik allows a generation before it sets it aside.</summary>
    public int RestoreAttempts { get; init; } = Configuration.CrikConfig.DefaultRestoreAttempts;

    public string ImageDir => backend.ImageDir;

    public TimeSpan DeadHolderLockTime => _requests.DeadHolderLockTime;

    public IDisposable Within(TimeSpan limit) => _requests.Within(limit);

    /// <summary>
    /// Takes the image directory's lock and keeps it until this store is disposed (after the app is
    /// gone): one live copy of the app at a time. False when another holder kept it for all of <paramref name="timeout"/>.
    /// </summary>
    public bool Hold(TimeSpan timeout, Action? stillWaiting = null)
    {
        IStoreLock? taken = backend.TryLock(timeout, stillWaiting);
        if (taken is null)
        {
            return false;
        }
        _lock = _held = taken;
        _requests.Held(taken);
        AbandonedUploads.Drop(backend, log, DateTimeOffset.UtcNow); // nobody else writes now: no upload under way is another crik's
        return true;
    }

    /// <summary>
    /// Whether the lock held for the app's life is still ours: held, endangered (renewals failing: in doubt, even
    /// past the time another crik may take it over, until a renewal is answered) or lost (forfeited); null when none is held.
    /// </summary>
    public HoldState? Holding => _held is { } held
        ? held.Forfeited ? HoldState.Lost : held.Endangered || held.Lost ? HoldState.Endangered : HoldState.Held
        : null;

    /// <summary>The lock for one step (a checkpoint): the one held for the app's life when there is one (null once it is lost), else taken now.</summary>
    public IDisposable? TryLock(TimeSpan timeout)
    {
        if (_held is { } held)
        {
            return held.Lost ? null : KeptHeld.Instance;
        }
        IStoreLock? taken = backend.TryLock(timeout);
        if (taken is not null)
        {
            _lock = taken;
        }
        return taken;
    }

    /// <summary>Makes a staging area for the next generation's dump, and its pack, which reuses the chunks of kept generations.</summary>
    public StagingCheckpoint BeginCheckpoint()
    {
        StoreListing listing = List();
        StagingCheckpoint staging = StagingCheckpoint.Begin(backend, _requests, log, Decisions.NextGeneration.After(listing.Newest, listing.FinishedThrough),
            KnownChunks(listing), _codec, ended: Ended);
        lock (_staged)
        {
            _staged.Add(staging);
        }
        return staging;
    }

    private void Ended(StagingCheckpoint staging)
    {
        lock (_staged)
        {
            _staged.Remove(staging);
        }
    }

    public void Abandon(StagingCheckpoint staging) => staging.Abandon();

    /// <summary>
    /// Seals the staged dump, writes its manifest last (the commit point) and then, best effort,
    /// deletes what retention no longer keeps. Throws only before the commit point.
    /// </summary>
    /// <param name="whyNot">Asked just before the commit point: a reason abandons the commit (the checkpoint budget ran out, say).</param>
    public CommitResult Commit(StagingCheckpoint staging, Manifest manifest, int keep, Func<string?>? whyNot = null, StageClock? stages = null)
    {
        staging.KeepLog();
        (List<ManifestFile> files, long written) = staging.Seal(_codec);
        stages?.Lap("seal and flush");
        files = [.. manifest.Files, .. files];
        manifest = manifest with
        {
            Generation = staging.Generation,
            Files = files,
            ImageBytes = files.Sum(f => f.Size),
            WrittenBytes = written,
            Compression = ChunkCodec.CodecName(_codec.Compression),
            KeyId = _codec.KeyId,
            Store = _codec.KeyId is null ? null : ImageDir,
        };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest);
        string name = StoreLayout.CommittedName(manifest.Generation);
        staging.Publish(name, json, _codec.ManifestMac(json), whyNot: () =>
            _lock is { Lost: true } ? $"crik lost its lock on {ImageDir}, so another crik may be using it" : whyNot?.Invoke());
        staging.Dispose();
        stages?.Lap("commit");

        // The commit point has passed: from here on, failures are warnings.
        var warnings = new List<string>();
        BestEffort(warnings, "record that the restored app lived on", MarkRestoreSurvived);
        BestEffort(warnings, "clean up older checkpoints, packs and logs", () => CleanUp(manifest.Generation, keep, warnings));
        stages?.Lap("clean-up");
        return new CommitResult(new CommittedCheckpoint(name, Display(name), manifest), warnings);
    }

    /// <summary>A path below the image directory as a path or address, for messages.</summary>
    private string Display(string path) => $"{ImageDir.TrimEnd('/')}/{path}";

    /// <summary>What the image directory holds, as every decision reads it (<see cref="StoreListing.Settled"/>).</summary>
    private StoreListing List() => ReadListing().Settled();

    /// <summary>What the image directory holds, as it is listed (half-done moves not yet settled).</summary>
    protected StoreListing ReadListing() => backend.ReadListing(log);

    public PackReader OpenPackReader(bool callerRetries = false) =>
        PackReading.Open(callerRetries ? _requests.CallerRetryReads ?? backend : backend, _codec, _requests.IsTransient);

    public void Dispose()
    {
        lock (_staged)
        {
            foreach (StagingCheckpoint staging in _staged)
            {
                staging.LeaveBehind();
            }
        }
        _held?.Dispose();
        backend.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The lock held for the app's life, lent to one step: the step's end does not release it.</summary>
    private sealed class KeptHeld : IDisposable
    {
        public static readonly KeptHeld Instance = new();

        public void Dispose()
        {
        }
    }

    private void BestEffort(List<string> warnings, string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            string warning = $"the checkpoint is committed, but crik could not {what}: {e.Message}";
            warnings.Add(warning);
            log.Warning("{Warning}", warning);
        }
    }

    /// <summary>A manifest crik may use for chunk reuse or pack clean-up: readable and, when encrypted under a key crik has, authentic; else null.</summary>
    private Manifest? ReadManifest(string location) => ReadManifest(location, out Manifest? manifest) is null ? manifest : null;

    /// <summary>
    /// Reads a generation's manifest (and, when encrypted under a key crik has, its manifest.hmac)
    /// once, wherever the generation is (a set-aside one's manifest names its committed name); null
    /// when it is usable, else why not.
    /// </summary>
    private string? ReadManifest(string location, out Manifest? manifest)
    {
        manifest = null;
        string committedName = StoreLayout.CommittedName(StoreLayout.ParseGeneration(location.Split('/')[^1]));
        byte[]? json = backend.Read($"{location}/{Manifest.FileName}", ManifestReader.MaxBytes);
        return json is null ? "it has no manifest"
            : ManifestVerifier.ReadManifest(json, () => backend.Read($"{location}/{Manifest.MacFileName}", ManifestReader.MaxBytes), committedName, _codec, out manifest);
    }

    /// <summary>What a new generation may reuse (see <see cref="ReusableChunks"/>).</summary>
    private Dictionary<string, ChunkRef> KnownChunks(StoreListing listing) =>
        ReusableChunks.Find(listing.Generations().Select(g => (ReadManifest(g.Location), g.State)).ToList(), listing.Packs.ToHashSet(), _codec.KeyId);
}

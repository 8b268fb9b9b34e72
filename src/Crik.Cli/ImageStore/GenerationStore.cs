using System.Text.Json;
using Crik.Cli.Chunks;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Locking;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The one owner of a generation's lifecycle, whatever stores it (<see cref="IStoreBackend"/>: a
/// volume or object storage). A generation is staged while CRIU dumps, committed when its manifest
/// is written last, restored as often as pods need it (each restore recorded under <c>restores/</c>
/// before CRIU runs), retired when its app ended on its own, set aside with a reason when it cannot
/// be restored or its restored pods keep dying, and deleted only by retention after a newer commit.
/// Every one of those decisions is made here; backends only carry them out. What it reads is read by
/// <see cref="GenerationReader"/>, restores are chosen by <see cref="RestorableChoice"/> and recorded by <see cref="GenerationRestores"/>,
/// generations set aside or retired by <see cref="GenerationShelves"/>, and what
/// a commit deletes after its commit point by <see cref="RetentionCleanUp"/>.
/// </summary>
internal abstract class GenerationStore : ICheckpointStore
{
    private readonly StoreStack _store;
    private readonly ILogger _log;
    private readonly GenerationReader _reader;
    private readonly GenerationRestores _restores;
    private readonly GenerationShelves _shelves;
    private readonly RestorableChoice _choice;
    private readonly RetentionCleanUp _cleanUp;
    private volatile IStoreLock? _lock;
    private volatile IStoreLock? _held;
    private readonly StagedDumps _staged = new();

    /// <param name="store">Every call to the store, through its wrappers (<see cref="StoreStack"/>): the backend and its side on this node.</param>
    /// <param name="callerRetryReads">The backend a caller that waits out an outage itself reads packs through (<see cref="GenerationReader"/>); null: the store's own.</param>
    protected GenerationStore(StoreStack store, ILogger log, ChunkCodec? codec, IStoreBackend? callerRetryReads = null)
    {
        _store = store;
        _log = log;
        _reader = new GenerationReader(store, log, codec ?? ChunkCodec.Plain, callerRetryReads);
        _shelves = new GenerationShelves(store, log, _reader);
        _choice = new RestorableChoice(store, log, _reader, _shelves, Configuration.CrikConfig.DefaultRestoreAttempts);
        _restores = new GenerationRestores(store, log, _reader, _shelves);
        _cleanUp = new RetentionCleanUp(store.Top, log, _reader);
    }

    private IStoreBackend Backend => _store.Top;

    /// <summary>How many restores in a row whose pods ended before the app survived its probation crik allows a generation before it sets it aside.</summary>
    public int RestoreAttempts
    {
        get => _choice.RestoreAttempts;
        init => _choice = new RestorableChoice(_store, _log, _reader, _shelves, value);
    }

    public string ImageDir => Backend.ImageDir;

    private ChunkCodec Codec => _reader.Codec;

    /// <summary>How long a crik that died keeps others out: a lease's lifetime; none for a volume's flock, which ends with its process.</summary>
    public abstract TimeSpan DeadHolderLockTime { get; }

    /// <summary>Until disposed, the store's calls give up once <paramref name="limit"/> has passed (object storage's; nothing on a volume).</summary>
    public IDisposable Within(TimeSpan limit) => _store.Within(limit) ?? NothingToEnd.Instance;

    /// <summary>
    /// Takes the image directory's lock and keeps it until this store is disposed (after the app is
    /// gone): one live copy of the app at a time. False when another holder kept it for all of <paramref name="timeout"/>.
    /// </summary>
    public bool Hold(TimeSpan timeout, Action? stillWaiting = null)
    {
        IStoreLock? taken = Backend.TryLock(timeout, stillWaiting);
        if (taken is null)
        {
            return false;
        }
        _lock = _held = taken;
        _store.Fence.Hold(taken); // from now on no write is sent, nor retried, once the lock is lost or may be
        AbandonedUploads.Drop(Backend, _log, DateTimeOffset.UtcNow); // nobody else writes now: no upload under way is another crik's
        return true;
    }

    /// <summary>The lock held for the app's life, whose state says whether it is still ours; null when none is held.</summary>
    public IStoreLock? Held => _held;

    /// <summary>The lock taken is no longer ours, or may not be: nothing may be written under it.</summary>
    private bool MayNotWrite => _lock is { } taken && !LeaseHold.AllowsWrites(taken.State);

    /// <summary>The lock for one step (a checkpoint): the one held for the app's life when there is one (null once it is lost), else taken now.</summary>
    public IDisposable? TryLock(TimeSpan timeout)
    {
        if (_held is { } held)
        {
            return LeaseHold.AllowsWrites(held.State) ? NothingToEnd.Instance : null;
        }
        IStoreLock? taken = Backend.TryLock(timeout);
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
        StagingCheckpoint staging = StagingCheckpoint.Begin(_store, _log, Decisions.NextGeneration.After(listing.Newest, listing.FinishedThrough),
            KnownChunks(listing), Codec, owner: _staged);
        _staged.Add(staging);
        return staging;
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
        (List<ManifestFile> files, long written) = staging.Seal(Codec);
        stages?.Lap("seal and flush");
        files = [.. manifest.Files, .. files];
        manifest = manifest with
        {
            Generation = staging.Generation,
            Files = files,
            ImageBytes = files.Sum(f => f.Size),
            WrittenBytes = written,
            Compression = ChunkCodec.CodecName(Codec.Compression),
            KeyId = Codec.KeyId,
            Store = Codec.KeyId is null ? null : ImageDir,
        };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest);
        string name = StoreLayout.CommittedName(manifest.Generation);
        staging.Publish(name, json, Codec.ManifestMac(json), whyNot: () =>
            MayNotWrite ? $"crik lost its lock on {ImageDir}, so another crik may be using it" : whyNot?.Invoke());
        staging.Dispose();
        _reader.Committed(name, manifest); // as written: the next checkpoint need not read it back
        stages?.Lap("commit");

        // The commit point has passed: from here on, failures are warnings.
        var warnings = new List<string>();
        RetentionCleanUp.BestEffort(_log, warnings, "record that the restored app lived on", MarkRestoreSurvived);
        RetentionCleanUp.BestEffort(_log, warnings, "clean up older checkpoints, packs and logs", () => _cleanUp.CleanUp(manifest.Generation, keep, warnings, manifest));
        stages?.Lap("clean-up");
        return new CommitResult(new CommittedCheckpoint(name, Display(name), manifest), warnings);
    }

    /// <summary>A path below the image directory as a path or address, for messages.</summary>
    private string Display(string path) => _reader.Display(path);

    /// <summary>What the image directory holds, as every decision reads it (<see cref="StoreListing.Settled"/>).</summary>
    private StoreListing List() => _reader.List();

    /// <summary>What the image directory holds, as it is listed (half-done moves not yet settled).</summary>
    protected StoreListing ReadListing() => _reader.ReadListing();

    public PackReader OpenPackReader(bool callerRetries = false) => _reader.OpenPackReader(callerRetries);

    /// <inheritdoc/>
    public IDisposable KeepPacks(Manifest manifest) => _reader.Kept.Hold(RetentionCleanUp.PacksOf(manifest));

    public void Dispose()
    {
        _staged.LeaveAllBehind();
        _held?.Dispose();
        Backend.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>What ends nothing when disposed: a lock kept for the app's life, a volume's requests without a time limit.</summary>
    private sealed class NothingToEnd : IDisposable
    {
        public static readonly NothingToEnd Instance = new();

        public void Dispose()
        {
        }
    }

    /// <summary>What a new generation may reuse (see <see cref="ReusableChunks"/>).</summary>
    private Dictionary<string, ChunkRef> KnownChunks(StoreListing listing)
    {
        List<(string Location, string State)> generations = [.. listing.Generations()];
        return ReusableChunks.Find(_reader.CommittedManifests(generations.Select(g => g.Location)).Zip(generations, (manifest, g) => (manifest, g.State)).ToList(),
            listing.Packs.ToHashSet(), Codec.KeyId);
    }

    /// <inheritdoc cref="RestorableChoice.FindRestorable"/>
    public CommittedCheckpoint? FindRestorable(AppIdentity? current = null) => _choice.FindRestorable(current);

    /// <inheritdoc cref="GenerationRestores.BeginRestore"/>
    public RestoreAttempt BeginRestore(CommittedCheckpoint checkpoint)
    {
        if (MayNotWrite)
        {
            throw new IOException($"crik lost its lock on {ImageDir}, so another crik may be using it");
        }
        return _restores.BeginRestore(checkpoint);
    }

    /// <inheritdoc cref="GenerationRestores.CancelRestore"/>
    public void CancelRestore(RestoreAttempt attempt) => _restores.CancelRestore(attempt);

    /// <inheritdoc cref="GenerationShelves.RetireCommitted"/>
    public int RetireCommitted() => _shelves.RetireCommitted();

    /// <inheritdoc cref="GenerationRestores.MarkRestoreSurvived"/>
    public void MarkRestoreSurvived() => _restores.MarkRestoreSurvived();

    /// <inheritdoc cref="GenerationRestores.MarkLoadFailed"/>
    public void MarkLoadFailed() => _restores.MarkLoadFailed();

    public void PutBackSavedFiles(RestoreAttempt attempt) => _restores.PutBackSavedFiles(attempt);

    public ImageFiles WriteImageFiles(RestoreAttempt attempt) => _restores.WriteImageFiles(attempt);

    /// <inheritdoc cref="GenerationRestores.RestoreSucceeded"/>
    public void RestoreSucceeded(RestoreAttempt attempt) => GenerationRestores.RestoreSucceeded(attempt);

    /// <inheritdoc cref="GenerationRestores.RestoreFailed"/>
    public string RestoreFailed(RestoreAttempt attempt, string reason) => _restores.RestoreFailed(attempt, reason);

    /// <summary>Moves a committed generation that cannot be restored out of the way, with the reason beside it. Returns where it went.</summary>
    public string SetAside(CommittedCheckpoint checkpoint, string reason) => _shelves.MoveToSetAside(checkpoint.Name, reason);

    /// <inheritdoc cref="GenerationReader.ListGenerations"/>
    public List<ListedGeneration> ListGenerations(bool verify) => _reader.ListGenerations(verify);
}

using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Tests.ObjectStorage;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.Storage;

/// <summary>
/// The storage contract in object storage (s3rver on loopback, each test under a prefix of its own),
/// and what only object storage does. s3rver ignores conditional writes, so the backend reaches it
/// through a proxy that honours them as S3 does.
/// </summary>
[Collection(PodsKilledMidDump.Name)]
public partial class ObjectBackendTests : StorageContract
{
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly FaultyProxy? _proxy;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _prefix = $"storage-{Guid.NewGuid():N}/";

    public ObjectBackendTests() => _proxy = _server is null ? null : new FaultyProxy(_server.Endpoint) { ConditionalWrites = true, Canned = AnswerForUploads };

    /// <summary>
    /// The backend with S3's retries over it, as every store has it (<see cref="ObjectGenerationStore"/>): its requests go out one
    /// attempt each, and a connection s3rver drops must not fail a case.
    /// </summary>
    internal override StoreStack NewStack()
    {
        var backend = new ObjectBackend(Client(), Log, LeaseLifetime);
        return Stacked(backend, backend.NodeSide, ObjectGenerationStore.Retries);
    }

    /// <summary>Short, so that the contract can wait out a lease whose holder died.</summary>
    private static readonly TimeSpan LeaseLifetime = TimeSpan.FromSeconds(2);

    internal override TimeSpan DeadHolderKeepsOthersOut => LeaseLifetime;

    /// <summary>A lease object of another pod's crik that is never renewed.</summary>
    internal override void LeaveLockOfDeadHolder() =>
        Assert.True(Backend.WriteIfAbsent(".lock", Bytes($"another-node/1/{Guid.NewGuid():N}\n{DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)}\n")));

    protected override void DisposeStore()
    {
        _proxy?.Dispose();
        _http.Dispose();
        _server?.Dispose();
    }

    private static ILogger Log => new LoggerConfiguration().CreateLogger();

    private S3Client Client() => TestS3.Client(_server!, _http, _prefix, _proxy!.Endpoint);

    /// <summary>Nothing of a dump is in the store until its manifest is: the pack's upload is invisible until complete, and then only a pack.</summary>
    [SkippableStorageFact]
    public void AStagingAreaIsNeverListed()
    {
        using StagingCheckpoint staging = Stage(1);
        staging.Pack.Add(Bytes("pages"));
        Assert.Empty(Listing().Unfinished);
        Assert.Empty(Listing().Packs);
        byte[] json = Seal(staging, "more pages");
        Assert.Equal([1], Listing().Packs);
        Assert.Empty(Listing().Committed);
        staging.Publish("checkpoint-000001", json, mac: null, whyNot: () => null);
        Assert.Equal([1], Listing().Committed);
    }

    /// <summary>A move copies in the store: crik reads nothing, writes the manifest.hmac before the manifest, and deletes the original manifest first.</summary>
    [SkippableStorageFact]
    public void AMoveCopiesInTheStoreAndReadsNothing()
    {
        using (var staging = Stage(1))
        {
            staging.Publish("checkpoint-000001", Seal(staging, "pages"), mac: "0123abcd", whyNot: () => null);
        }
        int before = _proxy!.Seen.Count;
        GenerationMove.Move(Backend, "checkpoint-000001", "retired/checkpoint-000001");
        string at = $"/{S3Server.Bucket}/{_prefix}";
        Assert.Equal([$"PUT {at}retired/checkpoint-000001/manifest.hmac", $"PUT {at}retired/checkpoint-000001/manifest.json",
            $"DELETE {at}checkpoint-000001/manifest.json", $"DELETE {at}checkpoint-000001/manifest.hmac"], _proxy.Seen.Skip(before));
    }

    /// <summary>Once its upload completed, a manifest whose write seemed to fail may have landed: the pack stays for the next commit's clean-up.</summary>
    [SkippableStorageFact]
    public void AnAbandonedDumpsPackStaysOnceItsUploadCompleted()
    {
        StagingCheckpoint staging = Stage(1);
        Seal(staging, "pages");
        staging.Abandon();
        Assert.Equal([1], Listing().Packs);
        Assert.Empty(Listing().Committed);
    }

    /// <summary>A store that goes (crik exits) while a dump is still staged takes the dump's scratch directory on the node with it.</summary>
    [SkippableStorageFact]
    public void AStoreThatGoesMidDumpLeavesNoScratchDirectory()
    {
        var store = new ObjectGenerationStore(Client(), Log);
        StagingCheckpoint staging = store.BeginCheckpoint();
        Assert.True(Directory.Exists(staging.Path));
        store.Dispose();
        Assert.False(Directory.Exists(staging.Path));
        staging.Dispose();
    }
}

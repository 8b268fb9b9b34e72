// ImageStore/ owns every path in the image directory and every object under the prefix: the generation lifecycle and its two backends.
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Generations on a volume: the lifecycle (<see cref="GenerationStore"/>) over <see cref="VolumeBackend"/>,
/// with the store's wrappers stacked over it (<see cref="StoreStack"/>).
/// </summary>
internal sealed class VolumeGenerationStore : GenerationStore
{
    private readonly VolumeBackend _volume;

    /// <param name="readOnly">Only read (crik images): nothing is created or tightened.</param>
    public VolumeGenerationStore(string imageDir, ILogger log, ChunkCodec? codec = null, bool readOnly = false)
        : this(new VolumeBackend(imageDir, log, readOnly), log, codec)
    {
    }

    /// <summary>
    /// The wrappers as over object storage, with a volume's settings: nothing retried, no step's deadline, a flock that fences nothing
    /// and ends with its process (no dead holder keeps others out); below them, its disk's failures told from a network's (<see cref="DiskErrorsBackend"/>).
    /// </summary>
    private VolumeGenerationStore(VolumeBackend volume, ILogger log, ChunkCodec? codec)
        : base(Stack(volume), log, codec) => _volume = volume;

    private static StoreStack Stack(VolumeBackend volume)
    {
        var disk = new DiskErrorsBackend(volume, volume);
        return StoreStack.Over(disk, disk.Wrap(volume.NodeSide), BackendRetry.None(Observing.Tallies.Volume), Timeout.InfiniteTimeSpan, boundsSteps: false);
    }

    public override TimeSpan DeadHolderLockTime => TimeSpan.Zero;

    public string LogDir => _volume.LogDir;

    public string SetAsideDir => Path.Combine(ImageDir, StoreLayout.SetAsideDir);

    public string RetiredDir => Path.Combine(ImageDir, StoreLayout.RetiredDir);

    /// <summary>The number the next checkpoint gets (<see cref="Decisions.NextGeneration"/>), as <see cref="GenerationStore.BeginCheckpoint"/> numbers it.</summary>
    public long NextGeneration()
    {
        StoreListing listing = ReadListing();
        return Decisions.NextGeneration.After(listing.Newest, listing.FinishedThrough);
    }

    /// <summary>Names of committed checkpoint directories (real directories only), newest first.</summary>
    public List<string> CommittedNames() => ReadListing().Committed.Select(StoreLayout.CommittedName).ToList();
}

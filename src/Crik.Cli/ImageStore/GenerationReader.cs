using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// What the image directory holds, read without changing anything, as every part of the lifecycle reads it: its
/// listing, a generation's manifest (authenticated when crik holds the key), its restore records and its packs; and
/// what <c>crik images</c> lists.
/// </summary>
/// <param name="callerRetryReads">
/// The backend a caller that waits out an outage itself reads packs through (a lazy restore's fill): each request tried twice more
/// within a few tenths of a second, and cut when it stalls, so that the caller hears of a failure at once; null: the store's own.
/// </param>
internal sealed class GenerationReader(StoreStack store, ILogger log, ChunkCodec codec, IStoreBackend? callerRetryReads)
{
    private readonly IStoreBackend _backend = store.Top;

    /// <summary>
    /// The committed manifests <see cref="CommittedManifests"/> read, by location: a committed manifest never changes where it
    /// lies (a generation's number is never taken again, and one moved lies elsewhere), so each is read and parsed once, not at
    /// every checkpoint (two fragmented manifests of 600 KiB each took tens of milliseconds a second under checkpointInterval: 1s).
    /// </summary>
    private readonly Dictionary<string, Manifest> _readOnce = [];

    /// <summary>The set-aside manifests crik has warned of as unusable: each is said once.</summary>
    private readonly HashSet<string> _saidUnusable = [];

    public ChunkCodec Codec => codec;

    public string ImageDir => _backend.ImageDir;

    /// <summary>A path below the image directory as a path or address, for messages.</summary>
    public string Display(string path) => $"{ImageDir.TrimEnd('/')}/{path}";

    /// <summary>What the image directory holds, as every decision reads it (<see cref="StoreListing.Settled"/>).</summary>
    public StoreListing List() => ReadListing().Settled(movesAreRenames: _backend.HasDirectories);

    /// <summary>What the image directory holds, as it is listed (half-done moves not yet settled).</summary>
    public StoreListing ReadListing() => _backend.ReadListing(log);

    /// <summary>Packs a reader needs kept beside those of the generations listed (<see cref="ICheckpointReader.KeepPacks"/>).</summary>
    public PacksInUse Kept { get; } = new();

    public PackReader OpenPackReader(bool callerRetries = false) =>
        PackReading.Open(callerRetries ? callerRetryReads ?? _backend : _backend, codec);

    /// <summary>
    /// A manifest crik may use for chunk reuse or pack clean-up: readable and, when encrypted under a key crik has, authentic; else
    /// null. One that is not a file crik made (a directory, a link, a FIFO in its place, say in a generation set aside for being
    /// damaged so) is null too, said once: crik reuses nothing from it and deletes no pack while it is there, and every
    /// checkpoint after it is still taken.
    /// </summary>
    public Manifest? ReadManifest(string location)
    {
        try
        {
            return ReadManifest(location, out Manifest? manifest) is null ? manifest : null;
        }
        catch (Interop.UnsafeEntryException e)
        {
            lock (_saidUnusable)
            {
                if (_saidUnusable.Add(location))
                {
                    log.Warning("{Error}; until then crik reuses nothing from that generation and deletes no pack", e.Message);
                }
            }
            return null;
        }
    }

    /// <summary>
    /// The manifest at each of <paramref name="locations"/> (<see cref="ReadManifest(string)"/>), each read once while it stays
    /// among the locations asked for; a manifest that cannot be used is null, and asked for again next time.
    /// </summary>
    public List<Manifest?> CommittedManifests(IEnumerable<string> locations)
    {
        List<string> asked = [.. locations];
        lock (_readOnce)
        {
            foreach (string gone in _readOnce.Keys.Except(asked).ToList())
            {
                _readOnce.Remove(gone);
            }
            return [.. asked.Select(ReadOnce)];
        }
    }

    /// <summary>Crik committed <paramref name="manifest"/> at <paramref name="location"/>: <see cref="CommittedManifests"/> need not read it back.</summary>
    public void Committed(string location, Manifest manifest)
    {
        lock (_readOnce)
        {
            _readOnce[location] = manifest;
        }
    }

    private Manifest? ReadOnce(string location)
    {
        if (_readOnce.TryGetValue(location, out Manifest? known))
        {
            return known;
        }
        Manifest? read = ReadManifest(location);
        if (read is not null)
        {
            _readOnce[location] = read;
        }
        return read;
    }

    /// <summary>
    /// Reads a generation's manifest (and, when encrypted under a key crik has, its manifest.hmac)
    /// once, wherever the generation is (a set-aside one's manifest names its committed name); null
    /// when it is usable, else why not.
    /// </summary>
    public string? ReadManifest(string location, out Manifest? manifest)
    {
        manifest = null;
        string committedName = StoreLayout.CommittedName(StoreLayout.ParseGeneration(location.Split('/')[^1]));
        byte[]? json = _backend.Read($"{location}/{Manifest.FileName}", ManifestReader.MaxBytes);
        return json is null ? "it has no manifest"
            : ManifestVerifier.ReadManifest(json, () => _backend.Read($"{location}/{Manifest.MacFileName}", ManifestReader.MaxBytes), committedName, codec, out manifest);
    }

    /// <summary>The records of a generation's restores, as the listing's marks name them.</summary>
    public List<RestoreRecord> Restores(StoreListing listing, long generation) => RestoreRecord.Of(generation, listing.Marks, ReadMark);

    /// <summary>
    /// A mark's content, or null when there is none to read: a mark that is not a file crik can read (a planted link, a
    /// directory, a FIFO) was never written whole by crik, as an empty one was not; it must not stop every restore.
    /// </summary>
    private string? ReadMark(string name)
    {
        try
        {
            return _backend.Read(StoreLayout.MarkPath(name), 4095) is { } content ? System.Text.Encoding.UTF8.GetString(content) : null;
        }
        catch (Exception e) when (e is Interop.UnsafeEntryException or UnauthorizedAccessException)
        {
            log.Warning("Restore record {Path} cannot be read ({Error}); it counts as one never written whole", Display(StoreLayout.MarkPath(name)), e.Message);
            return null;
        }
    }

    /// <summary>
    /// What the image directory holds, for <c>crik images</c>, changing nothing: committed, retired and
    /// set-aside generations, newest first, each with its manifest, how often it was restored and,
    /// when asked, every file and chunk read and checked.
    /// </summary>
    public List<ListedGeneration> ListGenerations(bool verify)
    {
        StoreListing listing = List();
        using PackReader packs = OpenPackReader();
        var found = new List<ListedGeneration>();
        foreach ((string location, string state) in listing.Generations())
        {
            long generation = StoreLayout.ParseGeneration(location.Split('/')[^1]);
            Manifest? manifest = null;
            string? problem;
            try
            {
                problem = ReadManifest(location, out manifest);
                if (problem is null && verify)
                {
                    problem = GenerationVerifier.VerifyContents(_backend, store.Node, location, manifest!, packs, readChunks: true);
                }
            }
            catch (Exception e) when ((e is IOException io && !StoreFailures.SaysNothingOfTheEntry(io)) || e is UnauthorizedAccessException)
            {
                problem = $"it cannot be read ({e.Message})";
            }
            int restores = state == "" ? Restores(listing, generation).Count : 0;
            string shown = state switch { "" => "committed", StoreLayout.RetiredDir => "retired", _ => "set aside" };
            found.Add(new ListedGeneration(location.Split('/')[^1], generation, shown, manifest, problem) { Restores = restores });
        }
        return found.OrderByDescending(g => g.Generation).ThenBy(g => g.State, StringComparer.Ordinal).ToList();
    }
}

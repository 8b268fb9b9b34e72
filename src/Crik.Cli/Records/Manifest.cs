using System.Text.Json.Serialization;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.HostCompatibility;
using Crik.Cli.Processes;

namespace Crik.Cli.Records;

/// <summary>
/// What a committed checkpoint holds. It is written last, into the staging directory, before the
/// atomic rename that commits it; a directory without a manifest that verifies is never restored.
/// </summary>
internal sealed record Manifest
{
    public const int CurrentFormat = 2;

    /// <summary>
    /// Format 1: every image is a file in the checkpoint directory. Format 2: images are chunks in packs/. Format 3: an
    /// image may list slices of chunks too (<see cref="ChunkRef.From"/>), so that a crik that knows only format 2
    /// refuses it instead of reading whole chunks in their place; a manifest without slices is written as format 2.
    /// Format 4: an image with slices lists each chunk once and its pieces by number (<see cref="ManifestFileJson"/>),
    /// which a crik that knows only format 3 would misread. Format 5: those numbers packed (<see cref="PackedPieces"/>),
    /// which a crik that knows only format 4 cannot read.
    /// </summary>
    public const int OldestFormat = 1;

    /// <summary>Slices, each a whole entry: written by older crik, still read.</summary>
    public const int SlicedFormat = 3;

    /// <summary>Slices, their pieces a list of numbers: written by older crik, still read.</summary>
    public const int PiecesFormat = 4;

    /// <summary>The newest format this crik reads and writes: <see cref="CurrentFormat"/> and, with slices, this.</summary>
    public const int PackedPiecesFormat = 5;
    public const string FileName = "manifest.json";

    /// <summary>Beside an encrypted generation's manifest: the manifest's HMAC-SHA256, in hex.</summary>
    public const string MacFileName = "manifest.hmac";

    public int Format { get; init; } = CurrentFormat;
    public long Generation { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>Which program was checkpointed; null in manifests written before crik recorded it.</summary>
    public AppIdentity? App { get; init; }
    public string CriuVersion { get; init; } = "";

    /// <summary>The node the checkpoint was taken on; null in manifests written before crik recorded it.</summary>
    public HostFacts? Host { get; init; }
    public int RootPid { get; init; }

    /// <summary>Every PID and thread ID of the dumped tree, which a restore needs free.</summary>
    public IReadOnlyList<int> TreePids { get; init; } = [];

    /// <summary>
    /// What crik's descriptors 0, 1 and 2 were at the checkpoint, as /proc/PID/fd shows them: the stdio
    /// crik handed the app, which is all of the app's that belongs to the container rather than to the app.
    /// </summary>
    public IReadOnlyList<string> Stdio { get; init; } = [];

    public IReadOnlyList<ExternalMount> ExternalMounts { get; init; } = [];
    public IReadOnlyList<string> AdditionalPaths { get; init; } = [];

    /// <summary>Owner, mode and times of each saved additional path (the copies in extra-files/ are private); null in older manifests.</summary>
    public IReadOnlyList<SavedFile>? ExtraFiles { get; init; }
    public double DumpSeconds { get; init; }

    /// <summary>The largest private memory area of the dumped tree (the .NET runtime reserves a huge one); 0 when not recorded.</summary>
    public long LargestPrivateArea { get; init; }
    public long ImageBytes { get; init; }

    /// <summary>The compression new chunks were written with ("none", "zstd", "lz4"); null in format 1.</summary>
    public string? Compression { get; init; }

    /// <summary>The id of the key its chunks and extra files are encrypted with, and its manifest authenticated by; null when plaintext.</summary>
    public string? KeyId { get; init; }

    /// <summary>Its chunks and saved files are encrypted, and its manifest authenticated, under <see cref="KeyId"/>.</summary>
    [JsonIgnore]
    public bool Encrypted => KeyId is not null;

    /// <summary>
    /// The imageDir (a volume's path or s3://bucket/prefix, as configured) it was committed to; only
    /// when encrypted, where its authentication binds it there. Null in plaintext and older manifests.
    /// </summary>
    public string? Store { get; init; }

    /// <summary>
    /// The memory the app touched first after its last lazy restore, in the order it did (at most
    /// <c>TouchLog.Limit</c> pages); a lazy restore of this checkpoint reads it
    /// ahead. Null when crik has not seen the app restored lazily.
    /// </summary>
    public IReadOnlyList<TouchedRange>? FirstTouched { get; init; }

    /// <summary>What this checkpoint added to the image directory: new chunks and its own files (the rest it shares with older ones).</summary>
    public long WrittenBytes { get; init; }
    public IReadOnlyList<ManifestFile> Files { get; init; } = [];
}

// Not indented: a 6 GiB app's manifest is a third smaller (1.2 MB, not 1.9), and a restore reads and parses it on its way to CRIU.
[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<ChunkRef>))]
[JsonSerializable(typeof(List<long>))]
[JsonSerializable(typeof(IReadOnlyList<ChunkRef>))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;

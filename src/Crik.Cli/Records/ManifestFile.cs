using Crik.Cli.Chunks;

namespace Crik.Cli.Records;

/// <summary>
/// One file of a checkpoint, by its path relative to the checkpoint directory. A file in the
/// directory has the CRC-32C of each of its <c>FileDigest.ChunkBytes</c> pieces; an image
/// CRIU streamed through crik is not in the directory at all but is the listed <see cref="Chunks"/>,
/// in order, in the pack files.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(ManifestFileJson))]
internal sealed record ManifestFile(string Path, long Size, IReadOnlyList<string> Crc32c, IReadOnlyList<ChunkRef>? Chunks = null)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsStreamed => Chunks is not null;
}

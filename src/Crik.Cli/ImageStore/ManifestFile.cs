namespace Crik.Cli.ImageStore;

/// <summary>
/// One file of a checkpoint, by its path relative to the checkpoint directory, with the CRC-32C of
/// each of its <see cref="FileDigest.ChunkBytes"/> chunks.
/// </summary>
internal sealed record ManifestFile(string Path, long Size, IReadOnlyList<string> Crc32c);

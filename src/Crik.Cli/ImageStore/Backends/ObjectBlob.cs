using Crik.Cli.ObjectStorage;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>An object read a range at a time (<see cref="ObjectBackend.OpenRead"/>), each range one GET and no HEAD before it.</summary>
internal sealed class ObjectBlob(S3Client s3, string key) : IBlobReader
{
    /// <summary>One GET of the range; a read of no bytes asks only whether the object is there (a HEAD).</summary>
    public int Read(Span<byte> into, long offset) =>
        (into.Length == 0 ? s3.TryGetLength(key) is null ? null : 0 : s3.TryReadRange(key, offset, into))
        ?? throw new BlobMissingException($"{s3.Display(key)} is missing");

    public void Dispose()
    {
    }
}

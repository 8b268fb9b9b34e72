using Crik.Cli.Chunks;

namespace Crik.Cli.ObjectStorage;

/// <summary>A pack in object storage, read a chunk at a time with ranged GETs (nothing is downloaded whole).</summary>
internal sealed class S3PackSource(S3Client s3, string name, long length) : IPackSource
{
    /// <summary>The pack, or null when there is no such object.</summary>
    public static S3PackSource? TryOpen(S3Client s3, string name) =>
        s3.TryGetLength(name) is { } length ? new S3PackSource(s3, name, length) : null;

    public long Length => length;

    public int Read(Span<byte> into, long offset)
    {
        int count = (int)Math.Clamp(length - offset, 0, into.Length);
        if (count > 0)
        {
            s3.ReadRange(name, offset, into[..count]);
        }
        return count;
    }

    public void Dispose()
    {
    }
}

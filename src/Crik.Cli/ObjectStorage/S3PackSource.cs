using Crik.Cli.Chunks;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// A pack in object storage, read a chunk at a time with ranged GETs (nothing is downloaded whole).
/// What the store says is put in the chunks' terms: an object that is gone is a <see cref="ChunkException"/>,
/// any other failed request a <see cref="PackUnavailableException"/> (the store may answer later).
/// </summary>
internal sealed class S3PackSource(S3Client s3, string name, long length) : IPackSource
{
    /// <summary>The pack, or null when there is no such object.</summary>
    public static S3PackSource? TryOpen(S3Client s3, string name) =>
        InChunkTerms(() => s3.TryGetLength(name)) is { } length ? new S3PackSource(s3, name, length) : null;

    public long Length => length;

    public int Read(Span<byte> into, long offset)
    {
        int count = (int)Math.Clamp(length - offset, 0, into.Length);
        if (count > 0)
        {
            try
            {
                s3.ReadRange(name, offset, into[..count]);
            }
            catch (S3Exception e)
            {
                throw InChunkTerms(e);
            }
        }
        return count;
    }

    public void Dispose()
    {
    }

    private static T InChunkTerms<T>(Func<T> request)
    {
        try
        {
            return request();
        }
        catch (S3Exception e)
        {
            throw InChunkTerms(e);
        }
    }

    private static IOException InChunkTerms(S3Exception e) =>
        e.Status is 404 or 206 ? new ChunkException(e.Message) : new PackUnavailableException(e.Message, e);
}

using System.Buffers;
using System.Buffers.Binary;
using Crik.Cli.Criu;

namespace Crik.Cli.Chunks;

/// <summary>
/// Cuts a stream into chunks at page boundaries chosen by the pages' content, so that memory that
/// did not change between two checkpoints yields the same chunks even when other mappings grew,
/// shrank or moved it within the image. A chunk ends after a page whose fingerprint has its low
/// bits clear (about one page in <see cref="AveragePages"/>), once it is at least
/// <see cref="MinBytes"/> long, and always at <see cref="MaxBytes"/>.
/// </summary>
internal static class PageChunker
{
    public const int MinBytes = 128 << 10;
    public const int MaxBytes = 2 << 20;
    public const int AveragePages = 128;
    private const int ReadBytes = 1 << 20;

    /// <summary>
    /// Reads <paramref name="source"/> to its end and hands each chunk to <paramref name="chunk"/>:
    /// a pooled buffer and its length. The buffer is the receiver's from the moment it is handed over,
    /// even when the receiver throws: it returns it to <see cref="ArrayPool{T}.Shared"/> exactly once.
    /// </summary>
    /// <param name="boundaries">With encryption, the key that decides which pages end a chunk (see <see cref="BoundaryKey"/>).</param>
    public static void Cut(Stream source, Action<byte[], int> chunk, BoundaryKey? boundaries = null) =>
        Cut(source, PooledArrays.Shared, chunk, boundaries);

    /// <summary>
    /// <see cref="Cut(Stream, Action{byte[], int}, BoundaryKey?)"/> into buffers from <paramref name="buffers"/>:
    /// the receiver returns each buffer to them exactly once, even when it throws.
    /// </summary>
    public static void Cut<TBuffer>(Stream source, IChunkBuffers<TBuffer> buffers, Action<TBuffer, int> chunk, BoundaryKey? boundaries = null)
        where TBuffer : class
    {
        TBuffer? buffer = buffers.Rent();
        int filled = 0, scanned = 0;
        try
        {
            while (true)
            {
                int read = source.Read(buffers.Bytes(buffer).Slice(filled, Math.Min(ReadBytes, MaxBytes - filled)));
                if (read == 0)
                {
                    break;
                }
                filled += read;
                while (scanned + ImagePage.Bytes <= filled)
                {
                    scanned += ImagePage.Bytes;
                    if (scanned == MaxBytes || (scanned >= MinBytes && IsBoundary(buffers.Bytes(buffer).Slice(scanned - ImagePage.Bytes, ImagePage.Bytes), boundaries)))
                    {
                        TBuffer full = buffer;
                        int length = scanned;
                        buffer = buffers.Rent();
                        buffers.Bytes(full)[scanned..filled].CopyTo(buffers.Bytes(buffer));
                        filled -= scanned;
                        scanned = 0;
                        chunk(full, length);
                    }
                }
            }
            if (filled > 0)
            {
                TBuffer last = buffer;
                buffer = null;
                chunk(last, filled);
            }
        }
        finally
        {
            if (buffer is not null)
            {
                buffers.Return(buffer);
            }
        }
    }

    /// <summary>Whether a chunk may end after this page: a cheap fingerprint of sixteen words spread over it, keyed when a key is given.</summary>
    internal static bool IsBoundary(ReadOnlySpan<byte> page, BoundaryKey? key = null)
    {
        ulong hash = 0x9E3779B97F4A7C15;
        for (int at = 0; at < ImagePage.Bytes; at += ImagePage.Bytes / 16)
        {
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(page[at..])) * 0xBF58476D1CE4E5B9;
            hash ^= hash >> 31;
        }
        if (key is { } secret)
        {
            hash = secret.Hash(hash);
        }
        return (hash & (AveragePages - 1)) == 0;
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>
/// Writes one generation's new chunks into its pack file, reusing every chunk an older kept
/// generation (or this one) already holds. Safe to call from several threads: each chunk gets its
/// own range of the pack.
/// </summary>
internal sealed class PackWriter(long generation, IPackTarget pack, IReadOnlyDictionary<string, ChunkRef> known, ChunkCodec codec) : IDisposable
{
    private readonly ConcurrentDictionary<string, ChunkRef> _written = new(StringComparer.Ordinal);
    private long _end;
    private long _writtenBytes;
    private long _reusedBytes;

    public PackWriter(long generation, SafeFileHandle pack, IReadOnlyDictionary<string, ChunkRef> known, ChunkCodec? codec = null)
        : this(generation, new PackFileTarget(pack), known, codec ?? ChunkCodec.Plain)
    {
    }

    /// <summary>Where the pack goes (the upload to finish when the generation commits).</summary>
    public IPackTarget Target => pack;

    public long Generation => generation;

    public ChunkCodec Codec => codec;

    /// <summary>Bytes this generation wrote into its pack.</summary>
    public long WrittenBytes => Interlocked.Read(ref _writtenBytes);

    /// <summary>Bytes of images this generation took from chunks already stored.</summary>
    public long ReusedBytes => Interlocked.Read(ref _reusedBytes);

    /// <summary>Stores one chunk unless an identical one is already stored, and says where it is.</summary>
    public ChunkRef Add(ReadOnlySpan<byte> chunk)
    {
        string name = codec.Name(chunk);
        if ((known.TryGetValue(name, out ChunkRef? stored) || _written.TryGetValue(name, out stored)) && stored.WholeSize == chunk.Length)
        {
            Interlocked.Add(ref _reusedBytes, chunk.Length);
            return stored;
        }
        ChunkRef written = (codec.StoresAsIs ? Write(chunk, name, null) : Encoded(chunk, name)) with { Xxh3 = codec.QuickCheck(chunk) };
        _written.TryAdd(name, written);
        return written;
    }

    /// <summary>Whether <paramref name="chunk"/>, stored by an earlier generation, may be referred to by this one (<see cref="Reuse"/> would give it).</summary>
    public bool MayReuse(ChunkRef chunk) => known.TryGetValue(chunk.Id, out ChunkRef? stored) && stored.WholeSize == chunk.WholeSize;

    /// <summary>
    /// The stored chunk named <paramref name="name"/>, <paramref name="size"/> bytes, when a kept generation
    /// holds it (the chunks the store says may be reused), without reading it; null when none may be reused.
    /// </summary>
    public ChunkRef? Reuse(string name, int size)
    {
        if ((known.TryGetValue(name, out ChunkRef? stored) || _written.TryGetValue(name, out stored)) && stored.WholeSize == size)
        {
            Interlocked.Add(ref _reusedBytes, size);
            return stored;
        }
        return null;
    }

    /// <summary>A chunk's SHA-256 as crik names chunks without encryption.</summary>
    public static string Hash(ReadOnlySpan<byte> chunk) => ChunkCodec.Plain.Name(chunk);

    public void Dispose() => pack.Dispose();

    private ChunkRef Encoded(ReadOnlySpan<byte> chunk, string name)
    {
        byte[] stored = ArrayPool<byte>.Shared.Rent(codec.MaxStoredBytes(chunk.Length));
        try
        {
            (int length, string? compression) = codec.Encode(chunk, name, stored);
            return Write(stored.AsSpan(0, length), name, compression) with { PlainLength = length == chunk.Length && compression is null ? null : chunk.Length };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(stored);
        }
    }

    private ChunkRef Write(ReadOnlySpan<byte> stored, string name, string? compression)
    {
        long offset = pack.WantsPageAligned(stored) ? ReservePageAligned(stored.Length) : Interlocked.Add(ref _end, stored.Length) - stored.Length;
        pack.Write(stored, offset);
        Interlocked.Add(ref _writtenBytes, stored.Length);
        return new ChunkRef(name, generation, offset, stored.Length, Codec: compression);
    }

    /// <summary>A range of the pack for <paramref name="length"/> bytes that starts at a multiple of a page (the bytes skipped stay a hole).</summary>
    private long ReservePageAligned(int length)
    {
        long end = Interlocked.Read(ref _end);
        while (true)
        {
            long start = (end + Criu.ImagePage.Bytes - 1) / Criu.ImagePage.Bytes * Criu.ImagePage.Bytes;
            long seen = Interlocked.CompareExchange(ref _end, start + length, end);
            if (seen == end)
            {
                return start;
            }
            end = seen;
        }
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>
/// Writes one generation's new chunks into its pack file, reusing every chunk an older kept
/// generation (or this one) already holds. Safe to call from several threads: each chunk gets its
/// own range of the pack.
/// </summary>
internal sealed class PackWriter(long generation, SafeFileHandle pack, IReadOnlyDictionary<string, ChunkRef> known) : IDisposable
{
    private readonly ConcurrentDictionary<string, ChunkRef> _written = new(StringComparer.Ordinal);
    private long _end;
    private long _reusedBytes;

    public long Generation => generation;

    /// <summary>Bytes this generation wrote into its pack.</summary>
    public long WrittenBytes => Interlocked.Read(ref _end);

    /// <summary>Bytes of images this generation took from chunks already stored.</summary>
    public long ReusedBytes => Interlocked.Read(ref _reusedBytes);

    /// <summary>Stores one chunk unless an identical one is already stored, and says where it is.</summary>
    public ChunkRef Add(ReadOnlySpan<byte> chunk)
    {
        string sha256 = Hash(chunk);
        if (known.TryGetValue(sha256, out ChunkRef? stored) || _written.TryGetValue(sha256, out stored))
        {
            if (stored.Length == chunk.Length)
            {
                Interlocked.Add(ref _reusedBytes, chunk.Length);
                return stored;
            }
        }
        long offset = Interlocked.Add(ref _end, chunk.Length) - chunk.Length;
        RandomAccess.Write(pack, chunk, offset);
        var written = new ChunkRef(sha256, generation, offset, chunk.Length);
        _written.TryAdd(sha256, written);
        return written;
    }

    public static string Hash(ReadOnlySpan<byte> chunk) => Convert.ToHexStringLower(SHA256.HashData(chunk));

    public void Dispose() => pack.Dispose();
}

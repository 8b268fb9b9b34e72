using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>
/// Reads chunks back from the pack files they were written to, checking each (its XXH3-64 or SHA-256, or its
/// authentication tag when encrypted) before anyone sees a byte of it.
/// </summary>
internal sealed class PackReader(IPackOpener packs, ChunkCodec codec) : IDisposable
{
    private readonly Dictionary<long, IPackSource?> _packs = [];
    private readonly WholeChunksOfSlices _slicedChunks = new();
    private bool _disposed;

    /// <summary>How many chunks a stream reads at once where each read waits on the network: several hide the wait.</summary>
    private const int NetworkReadsAtOnce = 4;

    /// <summary>Each read is a request over the network (object storage), not a pread of a volume's file.</summary>
    public bool ReadsWaitOnNetwork { get; init; }

    /// <summary>
    /// How many chunks a stream reads at once: one reader keeps ahead of CRIU where a read is a pread
    /// (more only add CPU), where each read waits on the network several hide the wait.
    /// </summary>
    public int ConcurrentReads => ReadsWaitOnNetwork ? NetworkReadsAtOnce : 1;

    /// <summary>
    /// Fills the first <see cref="ChunkRef.Size"/> bytes of <paramref name="plain"/> with the chunk's
    /// content (a slice's: its whole chunk is read and checked); throws <see cref="ChunkException"/> when
    /// it is missing or not what was written.
    /// </summary>
    /// <param name="keyId">The key the chunk's generation was written with; null when it is plaintext.</param>
    public void Read(ChunkRef chunk, string? keyId, Span<byte> plain)
    {
        if (chunk.IsSlice)
        {
            _slicedChunks.CopySlice(chunk, plain, (whole, into) => Read(whole, keyId, into));
            return;
        }
        IPackSource pack = Pack(chunk.Pack) ?? throw new ChunkException($"pack {chunk.Pack} holding chunk {chunk.ShortId} is missing");
        if (ChunkCodec.IsStoredAsIs(chunk, keyId))
        {
            // Nothing to decode: read straight into place and check it there, without a copy.
            ReadStored(pack, chunk, plain[..chunk.Size]);
            ChunkCodec.CheckPlain(chunk, plain[..chunk.Size]);
            return;
        }
        byte[] stored = ArrayPool<byte>.Shared.Rent(chunk.Length);
        try
        {
            ReadStored(pack, chunk, stored.AsSpan(0, chunk.Length));
            codec.Decode(chunk, keyId, stored.AsSpan(0, chunk.Length), plain[..chunk.Size]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(stored);
        }
    }

    /// <summary>Writes a file made of <paramref name="chunks"/> into <paramref name="target"/>, each chunk checked before it is written.</summary>
    public void WriteOut(IReadOnlyList<ChunkRef> chunks, string? keyId, SafeFileHandle target)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(PageChunker.MaxBytes);
        try
        {
            long offset = 0;
            foreach (ChunkRef chunk in chunks)
            {
                Read(chunk, keyId, buffer);
                RandomAccess.Write(target, buffer.AsSpan(0, chunk.Size), offset);
                offset += chunk.Size;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: keyId is not null);
        }
    }

    /// <summary>The length of a pack file, or null when it is missing.</summary>
    public long? PackLength(long pack) => Pack(pack)?.Length;

    public void Dispose()
    {
        lock (_packs)
        {
            foreach (IPackSource? handle in _packs.Values)
            {
                handle?.Dispose();
            }
            _packs.Clear();
            _disposed = true;
        }
    }

    private IPackSource? Pack(long pack)
    {
        lock (_packs)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_packs.TryGetValue(pack, out IPackSource? handle))
            {
                _packs[pack] = handle = packs.Open(pack);
            }
            return handle;
        }
    }

    private static void ReadStored(IPackSource pack, ChunkRef chunk, Span<byte> into)
    {
        int total = 0;
        while (total < into.Length)
        {
            int read;
            try
            {
                read = pack.Read(into[total..], chunk.Offset + total);
            }
            catch (FileNotFoundException e)
            {
                throw new ChunkException($"pack {chunk.Pack} holding chunk {chunk.ShortId} is missing: {e.Message}"); // found out only now (object storage)
            }
            if (read == 0)
            {
                throw new ChunkException($"pack {chunk.Pack} ends before chunk {chunk.ShortId} (offset {chunk.Offset}, {chunk.Length} bytes)");
            }
            total += read;
        }
    }

}

/// <summary>A chunk that cannot be read back whole: missing, short, or not what was written.</summary>
internal sealed class ChunkException(string message) : IOException(message);

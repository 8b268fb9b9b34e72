using System.Buffers;

namespace Crik.Cli.Chunks;

/// <summary>
/// Reads a stored file's pieces (chunks, and slices of chunks) in order, each chunk checked as it is read
/// (<see cref="PackReader.Read"/>). A fragmented file interleaves slices of chunks from many generations, more than the
/// reader's few kept chunks, so a chunk sliced further on is kept here, whole, until its last slice is read
/// (<see cref="MostKept"/> at once; past that a slice is read through the reader as it comes): each chunk is read once.
/// </summary>
internal sealed class PieceReads : IDisposable
{
    /// <summary>Chunks kept at once for slices still to come: at most 64 MiB of them (640 KiB a chunk on average, 2 MiB at most).</summary>
    private const int MostKept = 32;

    private readonly IReadOnlyList<ChunkRef> _pieces;
    private readonly PackReader _packs;
    private readonly string? _keyId;
    private readonly Dictionary<(long Pack, long Offset), int> _lastSlice = [];
    private readonly Dictionary<(long Pack, long Offset), (byte[] Bytes, int Size)> _kept = [];
    private readonly byte[] _piece = ArrayPool<byte>.Shared.Rent(PageChunker.MaxBytes);
    private bool _disposed;

    /// <param name="keyId">The key the pieces' generation was written with; null when it is plaintext.</param>
    public PieceReads(IReadOnlyList<ChunkRef> pieces, PackReader packs, string? keyId)
    {
        (_pieces, _packs, _keyId) = (pieces, packs, keyId);
        for (int i = 0; i < pieces.Count; i++)
        {
            if (pieces[i].IsSlice)
            {
                _lastSlice[ChunkOf(pieces[i])] = i;
            }
        }
    }

    public int Count => _pieces.Count;

    /// <summary>
    /// Piece <paramref name="index"/>'s bytes, valid until the next piece is read: <see cref="ChunkRef.Size"/> of them in the
    /// array from the offset given. Pieces are read in order, each once.
    /// </summary>
    public (byte[] Bytes, int From, int Size) Read(int index)
    {
        if (index > 0)
        {
            LetGoAfter(index - 1);
        }
        ChunkRef piece = _pieces[index];
        if (piece.IsSlice && WholeChunkOf(piece) is { } whole)
        {
            return (whole, piece.From ?? 0, piece.Size);
        }
        _packs.Read(piece, _keyId, _piece);
        return (_piece, 0, piece.Size);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            foreach ((byte[] bytes, int size) in _kept.Values)
            {
                Return(bytes, size);
            }
            _kept.Clear();
            Return(_piece, _piece.Length);
        }
    }

    /// <summary>
    /// The chunk <paramref name="slice"/> is cut from, whole: kept, or read now and kept for its slices further on; null when
    /// <see cref="MostKept"/> are kept already.
    /// </summary>
    private byte[]? WholeChunkOf(ChunkRef slice)
    {
        if (_kept.TryGetValue(ChunkOf(slice), out var kept))
        {
            return kept.Bytes;
        }
        if (_kept.Count == MostKept)
        {
            return null;
        }
        ChunkRef chunk = slice.Whole();
        byte[] whole = ArrayPool<byte>.Shared.Rent(chunk.WholeSize);
        try
        {
            _packs.Read(chunk, _keyId, whole);
        }
        catch
        {
            Return(whole, chunk.WholeSize);
            throw;
        }
        _kept[ChunkOf(slice)] = (whole, chunk.WholeSize);
        return whole;
    }

    /// <summary>Piece <paramref name="index"/> was read: its chunk goes back when that was the chunk's last slice.</summary>
    private void LetGoAfter(int index)
    {
        if (_pieces[index] is { IsSlice: true } slice && _lastSlice[ChunkOf(slice)] == index && _kept.Remove(ChunkOf(slice), out var kept))
        {
            Return(kept.Bytes, kept.Size);
        }
    }

    private static (long Pack, long Offset) ChunkOf(ChunkRef piece) => (piece.Pack, piece.Offset);

    /// <summary>Back to the pool, its first <paramref name="used"/> bytes cleared: the app's memory, maybe decrypted.</summary>
    private static void Return(byte[] bytes, int used)
    {
        bytes.AsSpan(0, used).Clear();
        ArrayPool<byte>.Shared.Return(bytes);
    }
}

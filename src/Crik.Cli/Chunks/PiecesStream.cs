using System.Buffers;
using Crik.Cli.Streaming;

namespace Crik.Cli.Chunks;

/// <summary>
/// A stored file read back from its pieces (chunks, and slices of chunks), one after another, as one stream; each chunk is
/// checked as it is read (<see cref="PackReader.Read"/>). A fragmented file interleaves slices of chunks from many
/// generations, more than the reader's few kept chunks, so a chunk sliced further on is kept here, whole, until its last
/// slice is read (<see cref="MostKept"/> at once; past that a slice is read through the reader as it comes): each chunk is
/// read once. Throws <see cref="OperationCanceledException"/> once <c>enough</c> is cancelled.
/// </summary>
internal sealed class PiecesStream : ReadOnlyStream
{
    /// <summary>Chunks kept at once for slices still to come: at most 64 MiB of them (640 KiB a chunk on average, 2 MiB at most).</summary>
    private const int MostKept = 32;

    private readonly IReadOnlyList<ChunkRef> _pieces;
    private readonly PackReader _packs;
    private readonly string? _keyId;
    private readonly CancellationToken _enough;
    private readonly Dictionary<(long Pack, long Offset), int> _lastSlice = [];
    private readonly Dictionary<(long Pack, long Offset), (byte[] Bytes, int Size)> _kept = [];
    private readonly byte[] _piece = ArrayPool<byte>.Shared.Rent(PageChunker.MaxBytes);
    private byte[] _source;
    private int _next, _from, _at, _end;
    private bool _disposed;

    public PiecesStream(IReadOnlyList<ChunkRef> pieces, PackReader packs, string? keyId, CancellationToken enough = default)
    {
        (_pieces, _packs, _keyId, _enough, _source) = (pieces, packs, keyId, enough, _piece);
        for (int i = 0; i < pieces.Count; i++)
        {
            if (pieces[i].IsSlice)
            {
                _lastSlice[ChunkOf(pieces[i])] = i;
            }
        }
    }

    public override int Read(Span<byte> buffer)
    {
        while (_at == _end)
        {
            if (_next == _pieces.Count)
            {
                return 0;
            }
            _enough.ThrowIfCancellationRequested();
            LetGoOfTheLast();
            Load(_next++);
        }
        int take = Math.Min(buffer.Length, _end - _at);
        _source.AsSpan(_at, take).CopyTo(buffer);
        _at += take;
        return take;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            foreach ((byte[] bytes, int size) in _kept.Values)
            {
                Return(bytes, size);
            }
            _kept.Clear();
            Return(_piece, _piece.Length);
        }
        base.Dispose(disposing);
    }

    /// <summary>Makes piece <paramref name="index"/>'s bytes the ones read next: from its chunk kept, or read now.</summary>
    private void Load(int index)
    {
        ChunkRef piece = _pieces[index];
        if (piece.IsSlice && WholeChunkOf(piece) is { } whole)
        {
            (_source, _from) = (whole, piece.From ?? 0);
        }
        else
        {
            _packs.Read(piece, _keyId, _piece);
            (_source, _from) = (_piece, 0);
        }
        (_at, _end) = (_from, _from + piece.Size);
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

    /// <summary>The chunk of the piece read last goes back once that was its last slice.</summary>
    private void LetGoOfTheLast()
    {
        int last = _next - 1;
        if (last >= 0 && _pieces[last] is { IsSlice: true } slice && _lastSlice[ChunkOf(slice)] == last && _kept.Remove(ChunkOf(slice), out var kept))
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

using Crik.Cli.Chunks;

namespace Crik.Cli.Streaming;

/// <summary>
/// A stored file read back from its pieces, one after another, as one stream (<see cref="PieceReads"/>: each chunk read
/// once and checked). Throws <see cref="OperationCanceledException"/> before a piece once <c>enough</c> says so.
/// </summary>
internal sealed class PiecesStream(IReadOnlyList<ChunkRef> pieces, PackReader packs, string? keyId, IEnoughRead? enough = null) : ReadOnlyStream
{
    private readonly PieceReads _reads = new(pieces, packs, keyId);
    private byte[] _bytes = [];
    private int _next, _at, _end;

    public override int Read(Span<byte> buffer)
    {
        while (_at == _end)
        {
            if (_next == _reads.Count)
            {
                return 0;
            }
            if (enough?.Enough == true)
            {
                throw new OperationCanceledException($"stopped before piece {_next} of {_reads.Count}");
            }
            (_bytes, _at, int size) = _reads.Read(_next++);
            _end = _at + size;
        }
        int take = Math.Min(buffer.Length, _end - _at);
        _bytes.AsSpan(_at, take).CopyTo(buffer);
        _at += take;
        return take;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _reads.Dispose();
        }
        base.Dispose(disposing);
    }
}

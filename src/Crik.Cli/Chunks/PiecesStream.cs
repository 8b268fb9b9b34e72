using System.Buffers;
using Crik.Cli.Streaming;

namespace Crik.Cli.Chunks;

/// <summary>
/// A stored file read back from its pieces (chunks, and slices of chunks), one after another, as one stream; each piece is
/// checked as it is read (<see cref="PackReader.Read"/>). Throws <see cref="OperationCanceledException"/> once
/// <c>enough</c> is cancelled.
/// </summary>
internal sealed class PiecesStream(IReadOnlyList<ChunkRef> pieces, PackReader packs, string? keyId, CancellationToken enough = default) : ReadOnlyStream
{
    private readonly byte[] _piece = ArrayPool<byte>.Shared.Rent(PageChunker.MaxBytes);
    private int _next, _at, _filled;
    private bool _returned;

    public override int Read(Span<byte> buffer)
    {
        while (_at == _filled)
        {
            if (_next == pieces.Count)
            {
                return 0;
            }
            enough.ThrowIfCancellationRequested();
            ChunkRef piece = pieces[_next++];
            packs.Read(piece, keyId, _piece);
            (_at, _filled) = (0, piece.Size);
        }
        int take = Math.Min(buffer.Length, _filled - _at);
        _piece.AsSpan(_at, take).CopyTo(buffer);
        _at += take;
        return take;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_returned)
        {
            _returned = true;
            ArrayPool<byte>.Shared.Return(_piece, clearArray: true); // the app's memory, maybe decrypted
        }
        base.Dispose(disposing);
    }
}

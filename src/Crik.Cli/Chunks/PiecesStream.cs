using System.Buffers;
using Crik.Cli.Streaming;

namespace Crik.Cli.Chunks;

/// <summary>
/// A stored file read back from its pieces (chunks, and slices of chunks), one after another, as one stream; each piece is
/// checked as it is read (<see cref="PackReader.Read"/>). Where each read waits on the network, the next pieces are read
/// ahead, <see cref="PackReader.ConcurrentReads"/> at once, so that the waits overlap. Throws
/// <see cref="OperationCanceledException"/> once <c>enough</c> is cancelled.
/// </summary>
internal sealed class PiecesStream(IReadOnlyList<ChunkRef> pieces, PackReader packs, string? keyId, CancellationToken enough = default) : ReadOnlyStream
{
    private readonly Queue<(ChunkRef Piece, Task<byte[]> Read)> _ahead = new();
    private byte[]? _current;
    private int _next, _at, _filled;
    private bool _disposed;

    public override int Read(Span<byte> buffer)
    {
        while (_at == _filled)
        {
            ReturnCurrent();
            ReadAhead();
            if (!_ahead.TryDequeue(out var next))
            {
                return 0;
            }
            enough.ThrowIfCancellationRequested();
            _current = next.Read.GetAwaiter().GetResult();
            (_at, _filled) = (0, next.Piece.Size);
        }
        int take = Math.Min(buffer.Length, _filled - _at);
        _current.AsSpan(_at, take).CopyTo(buffer);
        _at += take;
        return take;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            ReturnCurrent();
            while (_ahead.TryDequeue(out var left))
            {
                try
                {
                    Return(left.Read.GetAwaiter().GetResult());
                }
                catch (Exception e) when (e is ChunkException or IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    // a piece read ahead that nobody reads: its failure says nothing the reader needs
                }
            }
        }
        base.Dispose(disposing);
    }

    /// <summary>Starts reading the pieces after the one read last, up to the reads the store takes at once (on this thread when one).</summary>
    private void ReadAhead()
    {
        while (_next < pieces.Count && _ahead.Count < Math.Max(1, packs.ConcurrentReads))
        {
            ChunkRef piece = pieces[_next++];
            _ahead.Enqueue((piece, packs.ConcurrentReads > 1 ? Task.Run(() => ReadPiece(piece)) : Task.FromResult(ReadPiece(piece))));
        }
    }

    private byte[] ReadPiece(ChunkRef piece)
    {
        byte[] bytes = ArrayPool<byte>.Shared.Rent(PageChunker.MaxBytes);
        try
        {
            packs.Read(piece, keyId, bytes);
            return bytes;
        }
        catch
        {
            Return(bytes);
            throw;
        }
    }

    private void ReturnCurrent()
    {
        if (_current is { } current)
        {
            _current = null;
            Return(current);
        }
        _at = _filled = 0;
    }

    private static void Return(byte[] bytes) => ArrayPool<byte>.Shared.Return(bytes, clearArray: true); // the app's memory, maybe decrypted
}

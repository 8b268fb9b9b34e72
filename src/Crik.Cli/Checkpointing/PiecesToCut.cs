using System.Buffers;
using Crik.Cli.Chunks;
using Crik.Cli.Records;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// The pieces <see cref="PagesComposer"/> reads, joined in one buffer of a chunk's most and stored as chunks cut where their
/// content says (so that pages unchanged since an older checkpoint make its chunks again, stored once).
/// </summary>
/// <param name="chunker">Cuts and stores the pieces, as the dump's images are.</param>
internal sealed class PiecesToCut(ImageChunker chunker) : IDisposable
{
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(PageChunker.MaxBytes);
    private int _filled;

    /// <summary>Where the next piece's first bytes go, at most <paramref name="length"/>; the buffer is stored into <paramref name="chunks"/> first when full.</summary>
    public Span<byte> Room(int length, List<ChunkRef> chunks)
    {
        if (_filled == PageChunker.MaxBytes)
        {
            StoreInto(chunks);
        }
        return _buffer.AsSpan(_filled, Math.Min(length, PageChunker.MaxBytes - _filled));
    }

    /// <summary>The room last given is filled.</summary>
    public void Filled(int length) => _filled += length;

    /// <summary>Stores the pieces joined so far, adding their chunks to <paramref name="chunks"/>.</summary>
    public void StoreInto(List<ChunkRef> chunks)
    {
        if (_filled == 0)
        {
            return;
        }
        using (var pieces = new MemoryStream(_buffer, 0, _filled, writable: false))
        {
            ManifestFile stored = chunker.Take("the pieces of a pages image", pieces);
            chunks.AddRange(stored.Chunks ?? []);
        }
        _filled = 0;
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}

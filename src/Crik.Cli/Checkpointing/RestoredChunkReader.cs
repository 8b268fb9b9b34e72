namespace Crik.Cli.Checkpointing;

/// <summary>
/// Reads the restored checkpoint's chunks of one pages image from the store, for the pieces <see cref="PagesComposer"/> cuts
/// from them. The pieces cut from one chunk come in a row (runs are added in the image's order): one a flush splits, or one
/// two runs share, is read from the store once, as the chunk read last is kept (and wiped when the next is read).
/// </summary>
/// <param name="sources">Where whole chunks are read from the store, by their index (<see cref="IPageSources.ReadRestoredChunk"/>).</param>
internal sealed class RestoredChunkReader(ChunkStarts chunks, IPageSources sources) : IDisposable
{
    private (int Index, byte[] Bytes)? _last;

    public ChunkStarts Chunks => chunks;

    /// <summary>The bytes of the chunks read from the store (whole chunks, as they are checked).</summary>
    public long StoreReadBytes { get; private set; }

    /// <summary><paramref name="length"/> bytes from <paramref name="at"/> in the image, all within chunk <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Piece(int index, long at, int length) => Chunk(index).AsSpan((int)(at - chunks.StartOf(index)), length);

    public void Dispose()
    {
        if (_last is { } last)
        {
            Array.Clear(last.Bytes);
        }
    }

    private byte[] Chunk(int index)
    {
        if (_last is { } last && last.Index == index)
        {
            return last.Bytes;
        }
        if (_last is { } previous)
        {
            Array.Clear(previous.Bytes);
        }
        byte[] bytes = sources.ReadRestoredChunk(index);
        _last = (index, bytes);
        StoreReadBytes += bytes.Length;
        return bytes;
    }
}

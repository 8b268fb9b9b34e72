using Crik.Cli.Chunks;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The lazy fill's <see cref="ChunkReadAhead"/>: a few threads that read ahead (and for faults), and one more for
/// faults only, waiting out a store that stops answering for as long as the <see cref="StoreOutage"/> allows (a read
/// that cannot succeed, a damaged chunk or a pack that is gone, fails at once). The buffers are the fill's own
/// (<see cref="FillBuffers"/>: a chunk is up to 2 MiB, and gigabytes of them allocated one by one would keep the garbage
/// collector, and so the faults crik serves, busy). A buffer may be longer than its chunk: <see cref="ChunkedImage.ChunkSize"/>
/// says how much of it is the chunk.
/// </summary>
internal sealed class FillReads(IReadOnlyDictionary<int, ChunkedImage> images, FillBuffers buffers) : IChunkSource
{
    public const string ReaderThread = "crik chunk reader", FaultReaderThread = "crik fault reader";

    /// <param name="images">Each pages image, by its number: a chunk's image in the reads.</param>
    /// <param name="threads">Threads that read ahead; one more is started for faults only.</param>
    /// <param name="failed">What an unexpected exception on a reader thread does (the fill fails).</param>
    /// <param name="buffers">The fill's buffers, which its owner clears when the fill ends.</param>
    /// <param name="aheadYields">The app runs while the threads read ahead: they run below its CPU priority.</param>
    public static ChunkReadAhead Start(IReadOnlyDictionary<int, ChunkedImage> images, int threads, StoreOutage outage, IUnexpectedFailures failed,
        FillBuffers buffers, bool aheadYields = false) =>
        new(new ChunkReaderThreads(threads, ReaderThread, FaultReaderThread, AheadYields: aheadYields), new FillReads(images, buffers), outage, failed);

    /// <summary>One attempt at a chunk, into a buffer of the pool's (given back when it fails).</summary>
    public byte[] Read(int image, int index)
    {
        ChunkedImage chunked = images[image];
        byte[] bytes = buffers.Rent(chunked.ChunkSize(index));
        try
        {
            chunked.ReadChunk(index, bytes);
            return bytes;
        }
        catch
        {
            buffers.Return(bytes);
            throw;
        }
    }

    public void GiveBack(byte[] buffer) => buffers.Return(buffer);
}

using System.Buffers;
using Crik.Cli.Chunks;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The lazy fill's <see cref="ChunkReadAhead"/>: a few threads that read ahead (and for faults), and one more for
/// faults only, waiting out a store that stops answering for as long as the <see cref="StoreOutage"/> allows (a read
/// that cannot succeed, a damaged chunk or a pack that is gone, fails at once). The buffers come from a pool of the
/// fill's own (a chunk is up to 2 MiB, and gigabytes of them allocated one by one would keep the garbage collector,
/// and so the faults crik serves, busy), and are cleared when they go back: they hold the app's memory, maybe
/// decrypted. A buffer may be longer than its chunk: <see cref="ChunkedImage.ChunkSize"/> says how much of it is the chunk,
/// and only that much is cleared (the rest is still zero), so that giving a buffer back neither writes nor faults in
/// pages the chunk never used, on the threads that copy the pages the app waits for.
/// </summary>
internal static class FillReads
{
    public const string ReaderThread = "crik chunk reader", FaultReaderThread = "crik fault reader";

    /// <param name="images">Each pages image, by its number: a chunk's image in the reads.</param>
    /// <param name="threads">Threads that read ahead; one more is started for faults only.</param>
    /// <param name="failed">What an unexpected exception on a reader thread does (the fill fails).</param>
    /// <param name="aheadYields">The app runs while the threads read ahead: they run below its CPU priority.</param>
    public static ChunkReadAhead Start(IReadOnlyDictionary<int, ChunkedImage> images, int threads, StoreOutage outage, Action<string, Exception> failed,
        bool aheadYields = false)
    {
        var buffers = new ZeroedBuffers();
        return new ChunkReadAhead(new ChunkReaderThreads(threads, ReaderThread, FaultReaderThread, AheadYields: aheadYields),
            (image, index) => Read(images[image], index, buffers), buffers.Return, outage, failed);
    }

    /// <summary>One attempt at a chunk, into a buffer of the pool's (given back when it fails).</summary>
    private static byte[] Read(ChunkedImage image, int index, ZeroedBuffers buffers)
    {
        byte[] bytes = buffers.Rent(image.ChunkSize(index));
        try
        {
            image.ReadChunk(index, bytes);
            return bytes;
        }
        catch
        {
            buffers.Return(bytes);
            throw;
        }
    }

    /// <summary>The fill's pool: every buffer in it is all zeros, and one given back is cleared as far as it was lent for.</summary>
    private sealed class ZeroedBuffers
    {
        private readonly ArrayPool<byte> _pool = ArrayPool<byte>.Create(PageChunker.MaxBytes, 64);
        private readonly Dictionary<byte[], int> _lent = new(ReferenceEqualityComparer.Instance);

        public byte[] Rent(int length)
        {
            byte[] buffer = _pool.Rent(length);
            lock (_lent)
            {
                _lent[buffer] = length;
            }
            return buffer;
        }

        public void Return(byte[] buffer)
        {
            int length;
            lock (_lent)
            {
                if (!_lent.Remove(buffer, out length))
                {
                    return; // not lent by this pool, or given back already
                }
            }
            buffer.AsSpan(0, length).Clear();
            _pool.Return(buffer);
        }
    }
}

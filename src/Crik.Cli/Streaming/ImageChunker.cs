using Crik.Cli.Chunks;
using Crik.Cli.Guarding;
using Crik.Cli.Records;
using Crik.Cli.Timing;

namespace Crik.Cli.Streaming;

/// <summary>
/// Cuts images into chunks and stores the ones no kept generation holds in this generation's pack,
/// several chunks at once on other cores. Memory in use is bounded: at most
/// <see cref="ChunksInFlight"/> chunks are held at once, across all the images being taken. The pages
/// images, which hold nearly all the bytes, are cut into buffers of crik's own that are reused from one
/// chunk and one run to the next (<see cref="PageBlocks"/>); the many small images into pooled arrays, of which they
/// touch only what they fill.
/// </summary>
/// <param name="run">The first failure of the whole run (any image's): a chunk stored or cut after it fails the image too.</param>
/// <param name="yielding">Whether the chunks are stored on threads that yield the CPU to the app (<see cref="YieldingWork"/>): for work
/// beside an app that runs on.</param>
internal sealed class ImageChunker(PackWriter pack, IRunFailure run, bool yielding = false) : IDisposable
{
    private static readonly int ChunksInFlight = 2 * Environment.ProcessorCount;

    /// <summary>The page blocks of every run, kept between runs: as many as one run holds at once (the chunks in flight, and
    /// the block being cut and the next one).</summary>
    private static readonly PageBlocks Blocks = new(ChunksInFlight + 2);

    private readonly SemaphoreSlim _inFlight = new(ChunksInFlight);

    /// <summary>Reads <paramref name="source"/> to its end; the image as the manifest lists it. Throws when the run has failed.</summary>
    /// <param name="times">Where the time spent waiting for a free slot (for crik's own workers) is counted, when given.</param>
    /// <param name="readToEnd">Called once the source is read to its end, before the last chunks are stored: what the
    /// image holds is crik's from then on, whatever the store takes.</param>
    public ManifestFile Take(string name, Stream source, StreamTimes? times = null, Action? readToEnd = null) =>
        name.StartsWith("pages-", StringComparison.Ordinal) ? Take(name, source, times, Blocks, readToEnd) : Take(name, source, times, PooledArrays.Shared, readToEnd);

    /// <summary>Called once no image is being taken any more: the kept page blocks rest until the next run.</summary>
    public void Dispose()
    {
        Blocks.Rest();
        _inFlight.Dispose();
    }

    private ManifestFile Take<TBuffer>(string name, Stream source, StreamTimes? times, IChunkBuffers<TBuffer> buffers, Action? readToEnd)
        where TBuffer : class
    {
        var chunks = new List<ChunkRef?>();
        var stores = new List<Task>();
        long size;
        try
        {
            size = Cut(name, source, times, buffers, chunks, stores);
        }
        catch
        {
            // The stores under way end before the image does (and the pack with it): none writes into a staging area given up, nor
            // returns its slot to a chunker disposed of. Each one's failure is the run's already.
            Task.WaitAll([.. stores.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))]);
            throw;
        }
        readToEnd?.Invoke();
        Task.WaitAll(stores);
        return run.Failure is { } why ? throw new IOException(why) : new ManifestFile(name, size, [], chunks.Select(c => c!).ToList());
    }

    /// <summary>Cuts the image into chunks, each stored on a task added to <paramref name="stores"/>; the bytes cut.</summary>
    private long Cut<TBuffer>(string name, Stream source, StreamTimes? times, IChunkBuffers<TBuffer> buffers, List<ChunkRef?> chunks, List<Task> stores)
        where TBuffer : class
    {
        long cut = 0;
        PageChunker.Cut(source, buffers, (buffer, length) =>
        {
            if (run.Failure is { } failed)
            {
                buffers.Return(buffer);
                throw new IOException(failed); // a streamed image's pipe closes: criu stops with a write error
            }
            long waiting = StreamTimes.Now();
            _inFlight.Wait();
            times?.CrikSince(waiting);
            int index;
            lock (chunks)
            {
                index = chunks.Count;
                chunks.Add(null);
            }
            cut += length;
            Action store = () => Store(name, buffers, buffer, length, chunks, index);
            stores.Add(yielding ? YieldingWork.Run(store) : Task.Run(store));
        }, pack.Codec.Boundaries);
        return cut;
    }

    private void Store<TBuffer>(string name, IChunkBuffers<TBuffer> buffers, TBuffer buffer, int length, List<ChunkRef?> chunks, int index)
    {
        try
        {
            if (name.StartsWith("pages-", StringComparison.Ordinal))
            {
                TestDelay.BeforePagesChunkStore();
            }
            ChunkRef stored = pack.Add(buffers.Bytes(buffer)[..length]);
            lock (chunks)
            {
                chunks[index] = stored;
            }
        }
        catch (Exception e)
        {
            run.Fail($"cannot store {name}: {e.Message}");
        }
        finally
        {
            buffers.Return(buffer);
            _inFlight.Release();
        }
    }
}

using System.Buffers;
using Crik.Cli.Chunks;
using Crik.Cli.Model;
using Crik.Cli.Timing;

namespace Crik.Cli.Streaming;

/// <summary>
/// Cuts images into chunks and stores the ones no kept generation holds in this generation's pack,
/// several chunks at once on other cores. Memory in use is bounded: at most
/// <see cref="ChunksInFlight"/> chunks are held at once, across all the images being taken.
/// </summary>
/// <param name="failure">The first failure of the whole run so far (any image's), or null.</param>
/// <param name="fail">Records a failure (the first one wins).</param>
internal sealed class ImageChunker(PackWriter pack, Func<string?> failure, Action<string> fail) : IDisposable
{
    private static readonly int ChunksInFlight = 2 * Environment.ProcessorCount;

    private readonly SemaphoreSlim _inFlight = new(ChunksInFlight);

    /// <summary>Reads <paramref name="source"/> to its end; the image as the manifest lists it. Throws when the run has failed.</summary>
    /// <param name="times">Where the time spent waiting for a free slot (for crik's own workers) is counted, when given.</param>
    public ManifestFile Take(string name, Stream source, StreamTimes? times = null)
    {
        var chunks = new List<ChunkRef?>();
        var stores = new List<Task>();
        long size = 0;
        PageChunker.Cut(source, (buffer, length) =>
        {
            if (failure() is { } failed)
            {
                ArrayPool<byte>.Shared.Return(buffer);
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
            size += length;
            stores.Add(Task.Run(() => Store(name, buffer, length, chunks, index)));
        }, pack.Codec.Boundaries);
        Task.WaitAll(stores);
        return failure() is { } why ? throw new IOException(why) : new ManifestFile(name, size, [], chunks.Select(c => c!).ToList());
    }

    public void Dispose() => _inFlight.Dispose();

    private void Store(string name, byte[] buffer, int length, List<ChunkRef?> chunks, int index)
    {
        try
        {
            ChunkRef stored = pack.Add(buffer.AsSpan(0, length));
            lock (chunks)
            {
                chunks[index] = stored;
            }
        }
        catch (Exception e)
        {
            fail($"cannot store {name}: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _inFlight.Release();
        }
    }
}

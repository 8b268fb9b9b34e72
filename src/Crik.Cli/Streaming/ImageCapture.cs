using System.Buffers;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Streaming;

/// <summary>
/// Takes the images of one criu dump --stream as CRIU writes them: each image is cut into chunks
/// and only chunks no kept generation holds are written, into this generation's pack. Nothing is
/// written to the image directory as a whole file and nothing is read back. Memory in use is
/// bounded: at most <see cref="ChunksInFlight"/> chunks are held at once.
/// </summary>
internal sealed class ImageCapture : StreamerSession<CaptureResult>
{
    private static readonly int ChunksInFlight = 2 * Environment.ProcessorCount;

    private readonly PackWriter _pack;
    private readonly SemaphoreSlim _inFlight = new(ChunksInFlight);

    private ImageCapture(StreamerSocket socket, PackWriter pack)
        : base(socket)
    {
        _pack = pack;
        Begin();
    }

    /// <summary>Listens in <paramref name="imagesDir"/> before criu starts.</summary>
    public static ImageCapture Start(string imagesDir, PackWriter pack) =>
        new(StreamerSocket.Listen(imagesDir, StreamerSocket.CaptureName), pack);

    protected override CaptureResult NeverConnected(string why) => new([], why);

    /// <summary>Takes each image CRIU sends on a thread of its own; returns the images it streamed, or why they are not whole.</summary>
    protected override async Task<CaptureResult> HandleAsync(StreamerConnection connection)
    {
        var files = new List<Task<ManifestFile>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await Task.Factory.StartNew(() =>
            {
                while (connection.ReadRequest() is { } name)
                {
                    SafeFileHandle pipe = connection.ReceivePipe();
                    if (!names.Add(name))
                    {
                        pipe.Dispose();
                        throw new IOException($"criu sent {name} twice");
                    }
                    files.Add(Task.Factory.StartNew(() => Capture(name, pipe), TaskCreationOptions.LongRunning));
                }
            }, TaskCreationOptions.LongRunning).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail(e.Message); // any failure here means the images are not whole: nothing is committed
        }
        var images = new List<ManifestFile>();
        foreach (Task<ManifestFile> file in files)
        {
            try
            {
                images.Add(await file.ConfigureAwait(false));
            }
            catch (Exception e)
            {
                Fail(e.Message);
            }
        }
        return new CaptureResult(images.OrderBy(i => i.Path, StringComparer.Ordinal).ToList(), Failure);
    }

    private ManifestFile Capture(string name, SafeFileHandle pipe)
    {
        var chunks = new List<ChunkRef?>();
        var stores = new List<Task>();
        long size = 0;
        using (var stream = new FileStream(pipe, FileAccess.Read, bufferSize: 0))
        {
            PageChunker.Cut(stream, (buffer, length) =>
            {
                if (Failure is { } failure)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw new IOException(failure); // closes the pipe: criu stops with a write error
                }
                _inFlight.Wait();
                int index;
                lock (chunks)
                {
                    index = chunks.Count;
                    chunks.Add(null);
                }
                size += length;
                stores.Add(Task.Run(() => Store(name, buffer, length, chunks, index)));
            });
        }
        Task.WaitAll(stores);
        return Failure is { } why ? throw new IOException(why) : new ManifestFile(name, size, [], chunks.Select(c => c!).ToList());
    }

    private void Store(string name, byte[] buffer, int length, List<ChunkRef?> chunks, int index)
    {
        try
        {
            ChunkRef stored = _pack.Add(buffer.AsSpan(0, length));
            lock (chunks)
            {
                chunks[index] = stored;
            }
        }
        catch (Exception e)
        {
            Fail($"cannot store {name}: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _inFlight.Release();
        }
    }

}

/// <summary>The images a dump streamed, and the first reason they are not whole (null when they are).</summary>
internal sealed record CaptureResult(List<ManifestFile> Images, string? Error);

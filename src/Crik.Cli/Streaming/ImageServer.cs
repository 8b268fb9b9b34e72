using System.Buffers;
using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Streaming;

/// <summary>
/// Hands a criu restore --stream the images of one checkpoint, chunk by chunk from the packs. Each
/// chunk is checked against its SHA-256 before a byte of it reaches CRIU, by reader threads of the
/// image's own (a <see cref="ChunkReadAhead"/>, taken <see cref="ChunksInOrder"/>) a few chunks
/// ahead of the thread that writes into CRIU's pipe, so there is no verification pass before the restore. An image holds at most
/// <see cref="ChunksAhead"/> chunk buffers at a time, being read, waiting or being written (of
/// <see cref="PageChunker.MaxBytes"/>, 2 MiB: 8 MiB in all), plus each reader's buffer for a chunk's
/// stored form when it is compressed or encrypted. A pages image's pipe is handed its chunks by
/// reference (vmsplice, so that the only copy of the app's memory is CRIU's own read into it): its
/// buffers are pinned, count until CRIU has read them, and number <see cref="PagesChunksAhead"/>
/// (12 MiB); those the pipe still holds when the image ends are kept, never reused, until criu has
/// exited. When a chunk fails, <see cref="Failed"/> fires
/// while CRIU still waits for that chunk's bytes (its pipe stays open until then), so the caller can
/// kill CRIU before it resumes anything; <see cref="FinishAsync"/> says what failed.
/// </summary>
internal sealed class ImageServer : StreamerSession<string?>
{
    public const string ReaderThread = "crik image reader";

    private const int ChunksAhead = 4;

    // A pages image's chunks stay out until CRIU has read them from the pipe (up to 1 MiB of them),
    // so its readers get two more to stay ahead with.
    private const int PagesChunksAhead = 6;

    private readonly IReadOnlyDictionary<string, ManifestFile> _images;
    private readonly IReadOnlyDictionary<string, byte[]> _replaced;
    private readonly PackReader _packs;
    private readonly string? _keyId;
    private readonly System.Collections.Concurrent.ConcurrentBag<StreamTimes> _streams = [];
    private readonly PinnedBufferPool _pinned = new(PageChunker.MaxBytes);

    // Buffers whose pages a pipe may still hold when its thread ends: kept, never reused, as long as
    // this server, which lasts until criu has exited.
    private readonly List<byte[]> _inPipesAtEnd = [];

    private ImageServer(string imagesDir, IReadOnlyDictionary<string, ManifestFile> images, IReadOnlyDictionary<string, byte[]> replaced, PackReader packs, string? keyId)
        : base(imagesDir, StreamerSocket.ServeName)
    {
        _keyId = keyId;
        _images = images;
        _replaced = replaced;
        _packs = packs;
        Begin();
    }

    /// <summary>Listens in <paramref name="imagesDir"/> before criu starts; serves the CRIU images (plain names) of <paramref name="manifest"/>.</summary>
    /// <param name="replaced">Images served as these bytes instead of their chunks (small ones crik rewrote, read and checked already).</param>
    public static ImageServer Start(string imagesDir, Manifest manifest, PackReader packs, IReadOnlyDictionary<string, byte[]> replaced) =>
        new(imagesDir,
            manifest.Files.Where(f => f.IsStreamed && !f.Path.Contains('/')).ToDictionary(i => i.Path, StringComparer.Ordinal), replaced, packs, manifest.KeyId);

    /// <summary>How the largest image's stream went: bytes handed over, and time spent waiting for CRIU to read and for chunks to be read and checked.</summary>
    public StreamTimes? Times => StreamTimes.Largest(_streams);

    /// <summary>A chunk could not be read because the image store did not answer (<see cref="ReadFailures.Classify"/>), which says nothing of the checkpoint.</summary>
    public bool StoreAway { get; private set; }

    /// <summary>crik's own code failed serving an image, in a way nobody expected (<see cref="ReadFailure.CriksOwn"/>), which says nothing of the checkpoint.</summary>
    public bool CriksOwn { get; private set; }

    /// <summary>
    /// The first failure was CRIU's end of the conversation (it went away between a request and its pipe, reset its socket, or
    /// sent what is not a request): CRIU's own failure ended it, which says nothing of the images or the store.
    /// </summary>
    public bool CriuWentAway { get; private set; }

    protected override string? NeverConnected(string why) => why;

    /// <summary>Serves each image CRIU asks for on a thread of its own; null when every one reached it verified, else what failed.</summary>
    protected override async Task<string?> HandleAsync(StreamerConnection connection)
    {
        var served = new List<Task>();
        try
        {
            await Task.Factory.StartNew(() =>
            {
                while (connection.ReadRequest() is { } name)
                {
                    bool exists = _images.TryGetValue(name, out ManifestFile? image);
                    connection.Reply(exists);
                    if (exists)
                    {
                        SafeFileHandle pipe = connection.ReceivePipe();
                        served.Add(Task.Factory.StartNew(
                            () => { if (_replaced.TryGetValue(name, out byte[]? bytes)) { ServeBytes(name, bytes, pipe); } else { Serve(image!, pipe); } },
                            TaskCreationOptions.LongRunning));
                    }
                }
            }, TaskCreationOptions.LongRunning).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // Whatever went wrong, criu must not finish a restore from what it was given so far.
            if (Fail(e.Message))
            {
                CriuWentAway = true;
            }
        }
        catch (Exception e)
        {
            FailWith(e, e.Message);
        }
        await Task.WhenAll(served).ConfigureAwait(false);
        return Failure;
    }

    private void Serve(ManifestFile image, SafeFileHandle pipe)
    {
        IReadOnlyList<ChunkRef> chunks = image.Chunks!;
        var times = new StreamTimes(image.Path);
        _streams.Add(times);
        // A pages image is most of the bytes and CRIU copies it straight into the app's memory: its
        // pipe gets the chunks' pages by reference, so that only CRIU's read copies them.
        bool byReference = IsPages(image);
        Action<byte[]> giveBack = byReference ? GiveBackPinned : GiveBack;
        var inPipe = new BuffersInPipe();
        var unwritten = new List<ArraySegment<byte>>(ChunksAhead);
        NonBlockingPipe? writer = null;
        ChunkReadAhead? reads = null;
        ChunksInOrder? ahead = null;
        try
        {
            writer = new NonBlockingPipe(pipe);
            int depth = byReference ? PagesChunksAhead : ChunksAhead;
            var threads = new ChunkReaderThreads(Math.Min(_packs.ConcurrentReads, Math.Min(depth, chunks.Count)), ReaderThread);
            reads = new ChunkReadAhead(threads, new ServedChunks(this, chunks, byReference), patience: null, failed: null);
            ahead = new ChunksInOrder(reads, image: 0, chunks.Count, depth);
            WriteChunks(chunks, ahead, writer, inPipe, unwritten, byReference, times);
        }
        catch (Exception e)
        {
            // A chunk that is missing or not what was written, the store not answering, or anything
            // unforeseen: criu is killed (Failed fires) while it still waits for the rest of this image.
            FailWith(e, $"{image.Path}: {e.Message}");
        }
        finally
        {
            pipe.Dispose(); // only now: criu must still be waiting for this image when Failed fires
            writer?.Dispose();
            ReleaseBuffers(inPipe, unwritten, byReference, giveBack);
            ahead?.Dispose();
            reads?.Dispose();
        }
    }

    private void ServeBytes(string name, byte[] bytes, SafeFileHandle pipe)
    {
        try
        {
            using var writer = new NonBlockingPipe(pipe);
            var rest = new List<ArraySegment<byte>> { new(bytes) };
            while (rest[0].Count > 0)
            {
                long written = writer.Write(rest);
                rest[0] = rest[0][(int)written..];
                if (rest[0].Count > 0)
                {
                    writer.WaitForReader();
                }
            }
        }
        catch (IOException e) when (e.HResult == (int)Errno.EPIPE)
        {
            // CRIU stopped reading this image: it needs no more of it, or it failed.
        }
        catch (IOException e)
        {
            FailWith(new ImagePipeException(e), $"{name}: {e.Message}");
        }
        catch (Exception e)
        {
            FailWith(e, $"{name}: {e.Message}");
        }
        finally
        {
            pipe.Dispose();
        }
    }

    /// <summary>
    /// Writes the chunks into the pipe in order, each as soon as it is read and checked; stops early
    /// when criu stops reading this image (it needs no more of it, or it failed).
    /// </summary>
    private static void WriteChunks(IReadOnlyList<ChunkRef> chunks, ChunksInOrder ahead, NonBlockingPipe writer, BuffersInPipe inPipe,
        List<ArraySegment<byte>> unwritten, bool byReference, StreamTimes times)
    {
        int next = 0;
        while (next < chunks.Count || unwritten.Count > 0)
        {
            // Every chunk read by now goes into the next write, so that it fills the pipe.
            while (next < chunks.Count && ahead.TryTake(next, out byte[]? read))
            {
                unwritten.Add(new(read, 0, chunks[next++].Size));
            }
            if (unwritten.Count == 0)
            {
                long waiting = StreamTimes.Now();
                byte[]? taken = TakeNext(ahead, next, writer, inPipe); // throws when the chunk is not what was written
                times.CrikSince(waiting);
                if (taken is null)
                {
                    return;
                }
                unwritten.Add(new(taken, 0, chunks[next++].Size));
            }
            if (!WriteSome(writer, unwritten, ahead, inPipe, byReference, times))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Once the image's pipe is closed: buffers handed over by reference outlive this thread (CRIU
    /// reads the rest after crik closes its end, and part of the first chunk not written whole may be
    /// in the pipe too), so they are kept until criu ends; every other buffer goes back to its pool.
    /// </summary>
    private void ReleaseBuffers(BuffersInPipe inPipe, List<ArraySegment<byte>> unwritten, bool byReference, Action<byte[]> giveBack)
    {
        List<byte[]> mayBeInPipe = inPipe.TakeAll();
        if (byReference && unwritten.Count > 0 && unwritten[0].Offset > 0)
        {
            mayBeInPipe.Add(unwritten[0].Array!);
            unwritten.RemoveAt(0);
        }
        if (byReference)
        {
            KeepUntilCriuEnds(mayBeInPipe);
        }
        else
        {
            mayBeInPipe.ForEach(giveBack);
        }
        // Chunks taken or read ahead and not written go back to the pool.
        foreach (ArraySegment<byte> chunk in unwritten)
        {
            giveBack(chunk.Array!);
        }
    }

    /// <summary>
    /// The next chunk, waiting for it. Chunks still in the pipe by reference count against the
    /// read-ahead, so while there are some the wait also watches CRIU read them, and gives back each
    /// one it has read whole; null when CRIU has gone meanwhile (it failed, or crik killed it): what it left
    /// in the pipe is never read, and no write would tell.
    /// </summary>
    private static byte[]? TakeNext(ChunksInOrder ahead, int next, NonBlockingPipe writer, BuffersInPipe inPipe)
    {
        while (!inPipe.IsEmpty)
        {
            if (ahead.Take(next, milliseconds: 1) is { } read)
            {
                return read;
            }
            if (writer.ReaderGone())
            {
                return null;
            }
            inPipe.Release(writer.Unread(), ahead.GiveBack);
        }
        return ahead.Take(next);
    }

    /// <summary>
    /// Writes what the pipe has room for, gives back the chunks written whole (by reference, once
    /// CRIU has read them whole), and when some is left (the pipe is full) waits until CRIU has read;
    /// false when CRIU stopped reading.
    /// </summary>
    private static bool WriteSome(NonBlockingPipe pipe, List<ArraySegment<byte>> unwritten, ChunksInOrder ahead, BuffersInPipe inPipe,
        bool byReference, StreamTimes times)
    {
        long started = StreamTimes.Now();
        try
        {
            long written = pipe.Write(unwritten, byReference);
            times.Moved(written);
            inPipe.Wrote(unwritten, written);
            inPipe.Release(byReference ? pipe.Unread() : 0, ahead.GiveBack);
            if (unwritten.Count > 0)
            {
                pipe.WaitForReader();
                if (byReference)
                {
                    inPipe.Release(pipe.Unread(), ahead.GiveBack);
                }
            }
            return true;
        }
        catch (IOException e) when (e.HResult == (int)Errno.EPIPE)
        {
            return false;
        }
        catch (IOException e)
        {
            throw new ImagePipeException(e); // crik's, and fails the restore: CRIU is never left with an image cut short
        }
        finally
        {
            times.CriuSince(started);
        }
    }

    /// <summary>
    /// What failed, and so whose fault it is: the store's when it may answer later, crik's own when no read throws it. Only the
    /// first failure says so: what fails after it (criu killed for it, its socket reset) says nothing of the checkpoint.
    /// </summary>
    private void FailWith(Exception e, string why)
    {
        ReadFailure failure = ReadFailures.Classify(e);
        if (Fail(why))
        {
            StoreAway = failure == ReadFailure.Transient;
            CriksOwn = failure == ReadFailure.CriksOwn;
        }
    }

    private static bool IsPages(ManifestFile image) => image.Path.StartsWith("pages-", StringComparison.Ordinal);

    private void GiveBack(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer, clearArray: _keyId is not null);

    private void GiveBackPinned(byte[] buffer) => _pinned.Return(buffer, clear: _keyId is not null);

    private void KeepUntilCriuEnds(List<byte[]> buffers)
    {
        lock (_inPipesAtEnd)
        {
            _inPipesAtEnd.AddRange(buffers);
        }
    }

    private byte[] ReadChunk(ChunkRef chunk, bool pinned, Action<byte[]> giveBack)
    {
        // Plaintext chunks all take the largest size, so they come from one bucket of the pool and
        // a restore reuses a few arrays instead of first touching fresh ones of each size. A buffer
        // of decrypted chunks is cleared whole when it goes back, so it is no larger than needed.
        byte[] buffer = pinned ? _pinned.Rent(chunk.Size) : ArrayPool<byte>.Shared.Rent(_keyId is null ? PageChunker.MaxBytes : chunk.Size);
        try
        {
            _packs.Read(chunk, _keyId, buffer);
            return buffer;
        }
        catch
        {
            giveBack(buffer);
            throw;
        }
    }

    /// <summary>An image's chunks as its read-ahead engine reads them: into this server's buffers, pinned ones for a pages image (its pipe gets them by reference).</summary>
    private sealed class ServedChunks(ImageServer server, IReadOnlyList<ChunkRef> chunks, bool byReference) : IChunkSource
    {
        public byte[] Read(int image, int index) => server.ReadChunk(chunks[index], byReference, GiveBack);

        public void GiveBack(byte[] buffer)
        {
            if (byReference)
            {
                server.GiveBackPinned(buffer);
            }
            else
            {
                server.GiveBack(buffer);
            }
        }
    }
}

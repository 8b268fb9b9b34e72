using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Guarding;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Streaming;

/// <summary>
/// Takes the images of one criu dump --stream as CRIU writes them: each image is cut into chunks
/// and only chunks no kept generation holds are written, into this generation's pack. Nothing is
/// written to the image directory as a whole file and nothing is read back.
/// </summary>
internal sealed class ImageCapture : StreamerSession<CaptureResult>, IRunFailure
{
    /// <summary>
    /// The threads that read CRIU's images, one for each image open at once, kept from one checkpoint to the next: periodic
    /// checkpoints would otherwise start one for each image while CRIU holds the app, on CPU that CRIU is waiting for.
    /// </summary>
    private static readonly KeptThreads Readers = new("crik image capture", TimeSpan.FromSeconds(30));

    private readonly ImageChunker _chunker;
    private readonly System.Collections.Concurrent.ConcurrentBag<StreamTimes> _streams = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>? _pagemaps;
    private readonly OpenImagePipes _open = new();
    private readonly CancellationTokenRegistration _closesOnFailure;
    private readonly TaskCompletionSource _readOut = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _criuDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Images not yet read to their end, and one more while CRIU may still send images.</summary>
    private int _unread = 1;

    private ImageCapture(string imagesDir, PackWriter pack, bool keepPagemaps)
        : base(imagesDir, StreamerSocket.CaptureName)
    {
        _chunker = new ImageChunker(pack, this);
        _pagemaps = keepPagemaps ? new(StringComparer.Ordinal) : null;
        _closesOnFailure = Failed.Register(_open.CloseAll);
        Begin();
    }

    /// <summary>Listens in <paramref name="imagesDir"/> before criu starts.</summary>
    /// <param name="keepPagemaps">Keep the pagemap images' bytes too (<see cref="CaptureResult.Pagemaps"/>): for a checkpoint that takes memory still arriving.</param>
    public static ImageCapture Start(string imagesDir, PackWriter pack, bool keepPagemaps = false) =>
        new(imagesDir, pack, keepPagemaps);

    /// <summary>Also gives the chunk buffers back (those still in use once their stores are done).</summary>
    public override void Dispose()
    {
        _closesOnFailure.Dispose();
        base.Dispose();
        _chunker.Dispose();
    }

    string? IRunFailure.Failure => Failure;

    /// <summary>The empty image a CRIU with criu-patches/0014 sends once its dump succeeded and it has let the app go as asked.</summary>
    public const string DumpDoneName = "dump-done";

    /// <summary>
    /// Ends when CRIU says its dump succeeded and it touches the app no more (<see cref="DumpDoneName"/>), before its own
    /// teardown and exit; never with a CRIU without criu-patches/0014.
    /// </summary>
    public Task CriuDone => _criuDone.Task;

    /// <summary>
    /// Ends once CRIU has sent its last image and every image is read out of its pipe (or the capture failed): from then on
    /// no pipe holds any of the app's pages (CRIU splices them into the pipes by reference), so the app may run again while
    /// the last chunks are stored. Waits at most <paramref name="atMost"/>; true when every image was read out and the capture
    /// has not failed, false when it failed or the wait ran out.
    /// </summary>
    public async Task<bool> ReadOutWholeAsync(TimeSpan atMost)
    {
        try
        {
            await _readOut.Task.WaitAsync(atMost).ConfigureAwait(false);
            return !Failed.IsCancellationRequested;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    void IRunFailure.Fail(string why) => Fail(why);

    protected override CaptureResult NeverConnected(string why) => new([], why);

    /// <summary>
    /// Takes each image CRIU sends on a thread of its own; returns the images it streamed, or why they are not whole.
    /// At the first failure every pipe and the connection close (<see cref="OpenImagePipes"/>), so that CRIU fails on
    /// its own: killed while its parasite is in the app, it would leave the app to die of the parasite's trap.
    /// </summary>
    protected override async Task<CaptureResult> HandleAsync(StreamerConnection connection)
    {
        _open.Watch(connection);
        var files = new List<Task<ManifestFile>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await Readers.Run(() => ReceiveImages(connection, files, names)).ConfigureAwait(false);
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
        return new CaptureResult(images.OrderBy(i => i.Path, StringComparer.Ordinal).ToList(), Failure, StreamTimes.Largest(_streams),
            _pagemaps is null ? null : new Dictionary<string, byte[]>(_pagemaps, StringComparer.Ordinal));
    }

    /// <summary>Starts taking each image CRIU sends, on a thread of its own, until CRIU sends no more.</summary>
    private void ReceiveImages(StreamerConnection connection, List<Task<ManifestFile>> files, HashSet<string> names)
    {
        try
        {
            while (connection.ReadRequest() is { } name)
            {
                SafeFileHandle pipe = connection.ReceivePipe();
                if (name == DumpDoneName)
                {
                    pipe.Dispose(); // empty: CRIU closed its end already
                    _criuDone.TrySetResult();
                    continue;
                }
                if (!_open.Hold(pipe))
                {
                    break; // the capture has failed: CRIU's writes to this pipe fail
                }
                if (!names.Add(name))
                {
                    pipe.Dispose();
                    throw new IOException($"criu sent {name} twice");
                }
                Interlocked.Increment(ref _unread);
                files.Add(Readers.Run(() => Capture(name, pipe)));
            }
        }
        catch (Exception e)
        {
            Fail(e.Message); // before CRIU's images count as read out
            throw;
        }
        finally
        {
            OneReadOut(); // CRIU sends no more images
        }
    }

    private ManifestFile Capture(string name, SafeFileHandle pipe)
    {
        int readOut = 0;
        void ReadToEnd()
        {
            if (Interlocked.Exchange(ref readOut, 1) == 0)
            {
                OneReadOut();
            }
        }
        try
        {
            return Take(name, pipe, ReadToEnd);
        }
        catch (Exception e)
        {
            Fail(e.Message); // before it counts as read out: the app is not let go for images that are not whole
            throw;
        }
        finally
        {
            _open.Release(pipe);
            pipe.Dispose(); // already closed by its stream, unless that could not be made
            ReadToEnd(); // a failed image is read no further either
        }
    }

    private void OneReadOut()
    {
        if (Interlocked.Decrement(ref _unread) == 0)
        {
            _readOut.TrySetResult();
        }
    }

    private ManifestFile Take(string name, SafeFileHandle pipe, Action readToEnd)
    {
        var times = new StreamTimes(name);
        _streams.Add(times);
        using var stream = new TimedPipe(new FileStream(pipe, FileAccess.Read, bufferSize: 0), times);
        if (_pagemaps is null || !PagemapImage.IsPagemapName(name))
        {
            return _chunker.Take(name, stream, times, readToEnd);
        }
        // A pagemap is small, and a checkpoint taken while memory arrives reads it again.
        using var recording = new RecordingStream(stream);
        ManifestFile taken = _chunker.Take(name, recording, times, readToEnd);
        _pagemaps[name] = recording.Recorded;
        return taken;
    }
}

/// <summary>The images a dump streamed, the first reason they are not whole (null when they are), and how the largest one's stream went.</summary>
/// <param name="Pagemaps">The pagemap images' bytes, by name (a streamed dump asked to keep them only).</param>
internal sealed record CaptureResult(List<ManifestFile> Images, string? Error, StreamTimes? Times = null, IReadOnlyDictionary<string, byte[]>? Pagemaps = null);

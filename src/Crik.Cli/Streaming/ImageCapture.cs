using Crik.Cli.Chunks;
using Crik.Cli.Criu;
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
    private readonly ImageChunker _chunker;
    private readonly System.Collections.Concurrent.ConcurrentBag<StreamTimes> _streams = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>? _pagemaps;
    private readonly OpenImagePipes _open = new();
    private readonly CancellationTokenRegistration _closesOnFailure;

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
            await Task.Factory.StartNew(() =>
            {
                while (connection.ReadRequest() is { } name)
                {
                    SafeFileHandle pipe = connection.ReceivePipe();
                    if (!_open.Hold(pipe))
                    {
                        break; // the capture has failed: CRIU's writes to this pipe fail
                    }
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
        return new CaptureResult(images.OrderBy(i => i.Path, StringComparer.Ordinal).ToList(), Failure, StreamTimes.Largest(_streams),
            _pagemaps is null ? null : new Dictionary<string, byte[]>(_pagemaps, StringComparer.Ordinal));
    }

    private ManifestFile Capture(string name, SafeFileHandle pipe)
    {
        try
        {
            return Take(name, pipe);
        }
        finally
        {
            _open.Release(pipe);
        }
    }

    private ManifestFile Take(string name, SafeFileHandle pipe)
    {
        var times = new StreamTimes(name);
        _streams.Add(times);
        using var stream = new TimedPipe(new FileStream(pipe, FileAccess.Read, bufferSize: 0), times);
        if (_pagemaps is null || !PagemapImage.IsPagemapName(name))
        {
            return _chunker.Take(name, stream, times);
        }
        // A pagemap is small, and a checkpoint taken while memory arrives reads it again.
        using var recording = new RecordingStream(stream);
        ManifestFile taken = _chunker.Take(name, recording, times);
        _pagemaps[name] = recording.Recorded;
        return taken;
    }
}

/// <summary>The images a dump streamed, the first reason they are not whole (null when they are), and how the largest one's stream went.</summary>
/// <param name="Pagemaps">The pagemap images' bytes, by name (a streamed dump asked to keep them only).</param>
internal sealed record CaptureResult(List<ManifestFile> Images, string? Error, StreamTimes? Times = null, IReadOnlyDictionary<string, byte[]>? Pagemaps = null);

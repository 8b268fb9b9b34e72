using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// An eager restore from image files written out first, with the mm images cut to keep what the app's
/// processes shared: from files CRIU maps a memory area larger than this node lets it map writable from
/// a stream as it was.
/// </summary>
internal sealed class ImageFilesRestore(ICheckpointReader store, CriuRestore criu, ILogger log)
{
    /// <summary>CRIU's result, and what kept the images from being written out (null when they were).</summary>
    public async Task<(CriuResult Result, NotWhole? NotWhole)> RunAsync(RestoreRun run)
    {
        ImageFiles? files = null;
        try
        {
            files = store.WriteImageFiles(run.Attempt);
            using PackReader packs = store.OpenPackReader();
            foreach ((string name, byte[] bytes) in SharingCut.For(run.Manifest, packs, log))
            {
                File.WriteAllBytes(Path.Combine(files.ImagesDir, name), bytes);
            }
            run.Stages.Lap("image files");
        }
        catch (IOException e)
        {
            files?.Dispose();
            return (new CriuResult(default, TimeSpan.Zero, TimedOut: false, "not run"), NotWhole.Of($"writing its images out as files failed: {e.Message}", e));
        }
        using (files)
        {
            return await criu.RunAsync(run, files.ImagesDir).ConfigureAwait(false);
        }
    }
}

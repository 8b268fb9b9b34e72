using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

// The dump itself: streamed through crik, or written to files on top of pre-dumps (then imported
// once the app may run again), and the pre-dumps while the app runs.
internal sealed partial class Checkpointer
{
    public bool PreDumps => preDumps is { GaveUp: false };

    public async Task<bool> PreDumpAsync(RunningApp app, CancellationToken abort) =>
        preDumps is null || await preDumps.PreDumpAsync(app, ExternalMounts.Present(), config.CheckpointTimeout, abort).ConfigureAwait(false);

    /// <summary>criu dump --stream, every image taken by crik's image streamer as CRIU writes it.</summary>
    private async Task<(CriuResult Dump, CaptureResult? Captured, List<DirectoryHandle>? ToImport)> StreamedDumpAsync(RunningApp app,
        StagingCheckpoint staging, List<ExternalMount> mounts, TimeSpan timeout)
    {
        using ImageCapture capture = ImageCapture.Start(staging.ImagesDir, staging.Pack);
        // A streamer that cannot go on kills criu rather than leave it (and the frozen app) waiting on a pipe.
        CriuResult dump = await criu.RunAsync(CriuArguments.Dump(app.Pid, staging.ImagesDir, staging.Criu, mounts), staging.Criu, timeout,
            kill: capture.Failed).ConfigureAwait(false);
        return (dump, await Captured(capture).ConfigureAwait(false), null);
    }

    /// <summary>
    /// criu dump into <paramref name="directory"/>, beside the pre-dumps, of only the memory changed
    /// since the newest: the app is frozen for that alone. The files are cut into chunks afterwards
    /// (the directories to read, dump first, are the third result). The caller disposes <paramref name="directory"/>.
    /// </summary>
    private async Task<(CriuResult Dump, CaptureResult? Captured, List<DirectoryHandle>? ToImport)> DumpOnPreDumpsAsync(RunningApp app,
        StagingCheckpoint staging, List<ExternalMount> mounts, TimeSpan timeout, PreDumpChain chain, DirectoryHandle directory, PreDumpParent parent)
    {
        CriuResult dump = await criu.RunAsync(CriuArguments.Dump(app.Pid, directory.ProcPath, staging.Criu, mounts, parent), staging.Criu,
            timeout).ConfigureAwait(false);
        return (dump, null, chain.ChainUnder(directory));
    }

    /// <summary>Where a dump on top of the pre-dumps goes, or null to stream it (no pre-dumps, or no room for the dump's directory).</summary>
    private (DirectoryHandle Directory, PreDumpParent Parent)? OnTopOfPreDumps()
    {
        if (preDumps is not { Count: > 0 })
        {
            return null;
        }
        try
        {
            return preDumps.BeginDump();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Cannot dump on top of the pre-dumps ({Error}); dumping all of the app's memory through crik instead", e.Message);
            preDumps.Drop();
            return null;
        }
    }

    /// <summary>
    /// What the image streamer took, once criu has exited. Its pipes close with criu, so this is
    /// quick; should a process criu left behind hold one open, the checkpoint fails instead of hanging.
    /// </summary>
    private static async Task<CaptureResult> Captured(ImageCapture capture)
    {
        try
        {
            return await capture.FinishAsync().WaitAsync(StreamerGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new CaptureResult([], $"an image was still open {StreamerGrace.TotalSeconds:0} s after criu exited");
        }
    }
}

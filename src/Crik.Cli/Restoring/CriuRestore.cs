using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.LazyPages;
using Crik.Cli.Observing;
using Crik.Cli.Streaming;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// Runs criu restore: from image files when given, otherwise from crik's image streamer (a chunk that
/// fails its check kills criu while it still waits for that chunk: CRIU resumes the tree only after
/// reading every image, so the app never runs on a corrupt or missing byte).
/// </summary>
internal sealed class CriuRestore(CrikConfig config, ICheckpointReader store, CriuRunner criu, ILogger log)
{
    /// <summary>CRIU's result and, for a stream, what did not arrive whole (null when all did), and whether that was the store not answering.</summary>
    /// <param name="imageFiles">The directory of image files to restore from; null to restore from crik's image stream.</param>
    /// <param name="leaveStopped">CRIU leaves the app's processes stopped (crik lets them go).</param>
    /// <param name="actionScript">What CRIU runs at each stage of the restore (Criu/StopSignalsScript), or null.</param>
    /// <param name="fill">A restore on crik's fill: how the fill ends. criu is killed once it fails: the app was killed then,
    /// so nothing criu restores can run, and crik does not wait for criu to notice (up to restoreTimeout).</param>
    public async Task<(CriuResult Result, NotWhole? NotWhole)> RunAsync(RestoreRun run, string? imageFiles, bool lazyPages = false, bool leaveStopped = false,
        string? actionScript = null, Task<string?>? fill = null)
    {
        RestoreAttempt attempt = run.Attempt;
        string imagesDir = imageFiles ?? attempt.ImagesDir;
        // A try before this one (a lazy restore that failed at its very end) may have left CRIU's pid file, and CRIU will not write over one;
        File.Delete(Path.Combine(attempt.Criu.Path, RestoreAttempt.PidFileName));
        // nor may its statistics stand for this one's.
        File.Delete(Path.Combine(attempt.Criu.Path, RestoreStatsImage.Name));
        var arguments = CriuArguments.Restore(imagesDir, attempt.Criu, RestoreAttempt.PidFileName, run.Manifest.ExternalMounts,
            CriuArguments.InheritedStdio(run.Manifest.Stdio), streamed: imageFiles is null, lazyPages, leaveStopped, actionScript);
        using PackReader packs = store.OpenPackReader();
        using ImageServer? server = imageFiles is null ? ImageServer.Start(imagesDir, run.Manifest, packs, SharingCut.For(run.Manifest, packs, log)) : null;
        CriuResult result;
        using var fillFailed = new CancellationTokenSource();
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(server?.Failed ?? CancellationToken.None, fillFailed.Token);
        if (fill is not null)
        {
            _ = CancelWhenFailedAsync(fill, fillFailed);
        }
        // A socket the app listened on is restored in the pod's network namespace, where crik's /metrics also listens.
        using (MetricsServing.StepAside())
        {
            result = await criu.RunAsync(arguments, attempt.Criu, config.RestoreTimeout, keepStdio: true,
                kill: kill.Token, waitedForProbes: () => run.Stages.Lap("kernel probes"), ownProcessGroup: false).ConfigureAwait(false);
        }
        NotWhole? notWhole = server is null ? null : await Served(server, result.Succeeded).ConfigureAwait(false);
        run.Stages.Lap(server?.Times is { } streamed ? $"criu (streamed {streamed})" : "criu");
        return (result, notWhole);
    }

    /// <summary>
    /// Runs criu restore --lazy-pages over the images <paramref name="loading"/> laid out, with crik's fill
    /// listening for the app's userfaultfds. When CRIU cannot be started (or crik stops waiting for it),
    /// the fill's threads, userfaultfds, buffers and packs all go before the exception does.
    /// </summary>
    public async Task<CriuResult> RunFilledAsync(RestoreRun run, LazyLoad loading, bool leaveStopped, string? actionScript = null)
    {
        try
        {
            (CriuResult restore, _) = await RunAsync(run, loading.ImagesDir, lazyPages: true, leaveStopped, actionScript, loading.Loaded).ConfigureAwait(false);
            loading.CriuEnded();
            return restore;
        }
        catch
        {
            await loading.AbortAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Cancels <paramref name="failed"/> once <paramref name="fill"/> ends with why it failed; nothing once criu has ended.</summary>
    private static async Task CancelWhenFailedAsync(Task<string?> fill, CancellationTokenSource failed)
    {
        try
        {
            if (await fill.ConfigureAwait(false) is not null)
            {
                await failed.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (ObjectDisposedException)
        {
            // criu ended first: nothing left to kill.
        }
    }

    /// <summary>
    /// Null when the image streamer handed CRIU every image whole, or when CRIU failed and its going away ended the streamer's
    /// conversation (CRIU's own error says why: an ID held, say, is this node's, not the checkpoint's); it ends with criu, or fails
    /// after a grace period.
    /// </summary>
    internal static async Task<NotWhole?> Served(ImageServer server, bool criuSucceeded)
    {
        try
        {
            string? why = await server.FinishAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            return why is null ? null
                : server.CriuWentAway ? (criuSucceeded ? new NotWhole(why, storeAway: false, criksOwn: true) : null)
                : new NotWhole(why, server.StoreAway, server.CriksOwn);
        }
        catch (TimeoutException)
        {
            return new NotWhole("crik's image streamer was still sending an image 10 s after criu exited", storeAway: false, criksOwn: true);
        }
        catch (Exception e)
        {
            return new NotWhole($"crik's image streamer failed unexpectedly: {e}", storeAway: false, criksOwn: true);
        }
    }
}

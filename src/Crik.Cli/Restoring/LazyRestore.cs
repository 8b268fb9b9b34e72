using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.LazyPages;
using Crik.Cli.Model;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// A lazy restore: the app runs before its memory is all in, and crik brings the rest in on demand and
/// in the background. When it cannot be done or fails before the app ran, the restore goes on eagerly.
/// </summary>
internal sealed class LazyRestore(CrikConfig config, ICheckpointStore store, CriuRestore criu, Leftovers leftovers, ILogger log)
{
    /// <summary>
    /// The app's memory as it arrives, once the app was restored lazily; null when this checkpoint is not
    /// to be or cannot be, or the lazy restore failed before the app ran (what it left is gone).
    /// </summary>
    /// <param name="allowed">The largest private memory area this node lets CRIU map writable.</param>
    public async Task<LazyLoad?> TryAsync(RestoreRun run, long allowed)
    {
        Manifest manifest = run.Manifest;
        if (!RestoreMethod.LazyWanted(manifest, config.LazyRestore))
        {
            return null;
        }
        if (RestoreMethod.WhyNotLazy(manifest, run.Checkpoint.Restores, allowed, Environment.SystemPageSize, LazyRestoreSupport.Unavailable) is { } whyNot)
        {
            log.Information("Checkpoint {Generation}: restoring it with all its memory first, not lazily: {Why}", manifest.Generation, whyNot);
            return null;
        }
        if (StartLoading(run) is not { } loading)
        {
            return null;
        }
        CriuResult restore;
        try
        {
            (restore, _) = await criu.RunAsync(run, loading.ImagesDir, lazyPages: true).ConfigureAwait(false);
            loading.CriuEnded();
        }
        catch
        {
            // CRIU could not be started (or crik stopped waiting for it): the fill's threads, userfaultfds, buffers and packs all go.
            await loading.AbortAsync().ConfigureAwait(false);
            throw;
        }
        if (restore.Succeeded)
        {
            await loading.HoldUserfaultsAsync().ConfigureAwait(false);
            return loading;
        }
        await FellBackAsync(run, restore, loading).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Lays out the images for a lazy restore and listens for the restore to hand crik the app's
    /// memory; null (with the reason logged) when that cannot be done, and the restore is eager.
    /// </summary>
    private LazyLoad? StartLoading(RestoreRun run)
    {
        Manifest manifest = run.Manifest;
        PackReader packs = store.OpenPackReader(callerRetries: true);
        LazyImages? images = null;
        try
        {
            using (PackReader layout = store.OpenPackReader())
            {
                images = LazyImages.Write(manifest, layout, packs, ForkSharing.Plan);
            }
            if (manifest.FirstTouched is { Count: > 0 } touched)
            {
                images.ChooseFirstTouched(touched);
            }
            else
            {
                images.ChooseFirstWritten(manifest.Generation);
            }
            var outage = new StoreOutage(config.LazyStoreWait, news => ToldOfStore(manifest.Generation, news));
            LazyLoad loading = LazyLoad.Start(images, packs, run.Attempt.Criu, manifest.FirstTouched, why => KillRestored(manifest, why), outage);
            run.Stages.Lap("lazy images");
            return loading;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            images?.Dispose();
            packs.Dispose();
            log.Warning("Checkpoint {Generation}: cannot restore it lazily ({Error}); restoring it with all its memory first", manifest.Generation, e.Message);
            return null;
        }
    }

    /// <summary>The lazy restore failed before the app ran: its fill and what CRIU left go, and the restore goes on eagerly.</summary>
    private async Task FellBackAsync(RestoreRun run, CriuResult restore, LazyLoad loading)
    {
        Manifest manifest = run.Manifest;
        string? fill = await loading.AbortAsync().ConfigureAwait(false);
        await leftovers.ForgetFailedTreeAsync(run).ConfigureAwait(false);
        log.Warning(new Happening.LazyRestoreFellBack(manifest.Generation, $"{restore.Describe(config.RestoreTimeout)}; CRIU log {run.Attempt.LogPath}"),
            "Checkpoint {Generation}: the lazy restore failed ({Error}; CRIU log {Log}); restoring it with all its memory first{Fill}",
            manifest.Generation, restore.Describe(config.RestoreTimeout), run.Attempt.LogPath,
            fill is null or LazyLoad.RestoreFailed ? "" : $". crik's fill of its memory failed first: {fill}");
    }

    /// <summary>The image store stopped answering while the app's memory arrives, still does not, or is back: in the log, an Event and the metrics.</summary>
    private void ToldOfStore(long generation, OutageNews news)
    {
        var happening = new Happening.StoreOutageWhileLoading(generation, news.Stage == OutageStage.Over, news.Lasted, news.Patience, news.Why);
        switch (news.Stage)
        {
            case OutageStage.Began:
                log.Warning(happening, "Checkpoint {Generation}: the image store stopped answering while the app's memory arrives ({Why}); the app waits for the pages "
                    + "it touches, and crik tries again for up to lazyStoreWait ({Patience})", generation, news.Why, Seconds(news.Patience));
                break;
            case OutageStage.Still:
                log.Warning(happening, "Checkpoint {Generation}: still waiting for the image store after {Seconds:0} s ({Why}); the app waits, and crik gives up "
                    + "after lazyStoreWait ({Patience})", generation, news.Lasted.TotalSeconds, news.Why, Seconds(news.Patience));
                break;
            case OutageStage.Over:
                log.Information(happening, "Checkpoint {Generation}: the image store answers again after {Seconds:0.0} s (last failure: {Why}); the app's memory arrives again",
                    generation, news.Lasted.TotalSeconds, news.Why);
                break;
        }
    }

    private static string Seconds(TimeSpan time) => $"{time.TotalSeconds:0} s";

    /// <summary>Kills whatever of the restored app runs: its memory cannot all arrive, and it must never read a page that did not.</summary>
    private void KillRestored(Manifest manifest, string why)
    {
        log.Debug("Killing the restored app: {Why}", why);
        Posix.TrySignal(-manifest.RootPid, Signal.SIGKILL);
        foreach (int pid in ProcessTree.Processes(manifest.RootPid).Concat(manifest.TreePids))
        {
            Posix.TrySignal(pid, Signal.SIGKILL);
        }
    }
}

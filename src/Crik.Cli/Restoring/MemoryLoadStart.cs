using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.LazyPages;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// The start of a restore on crik's own fill, lazy or eager: the images laid out with the lazy pages
/// left as holes, crik listening for the userfaultfds, and what the fill says of the store and of a
/// failure that must kill the app.
/// </summary>
internal sealed class MemoryLoadStart(CrikConfig config, ICheckpointReader store, ChildReaper reaper, ILogger log)
{
    /// <summary>
    /// Lays out the images for a restore on crik's fill and listens for the restore to hand crik the app's
    /// memory; null (with the reason logged) when that cannot be done, and the restore goes from CRIU's stream.
    /// </summary>
    /// <param name="lazily">The app runs before its memory is all in; else it runs once all is in.</param>
    public LazyLoad? Start(RestoreRun run, bool lazily)
    {
        Manifest manifest = run.Manifest;
        PackReader packs = store.OpenPackReader(callerRetries: true);
        // Kept while the fill may read them: checkpoints of the app running meanwhile may retire the generation it restores.
        IDisposable kept = store.KeepPacks(manifest);
        LazyImages? images = null;
        LazyLoad? started = null;
        try
        {
            using (PackReader layout = store.OpenPackReader())
            {
                images = LazyImages.Write(manifest, layout, packs, ForkSharing.Plan);
            }
            FillFirst(images, manifest);
            var app = new AppOnTheFill(run, reaper, log);
            LazyLoad loading = started = LazyLoad.Start(images, packs, run.Attempt.Criu, manifest.FirstTouched, app, new StoreOutage(config.LazyStoreWait, app), appRunsMeanwhile: lazily);
            loading.Loaded.ContinueWith(_ => kept.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            run.Stages.Lap(lazily ? "lazy images" : "fill images");
            ReadAheadMappedFiles(images, manifest.Generation);
            return loading;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            images?.Dispose();
            packs.Dispose();
            log.Warning("Checkpoint {Generation}: cannot restore it {How} ({Error}); restoring it {Instead}", manifest.Generation,
                lazily ? "lazily" : "on crik's fill", e.Message, lazily ? "with all its memory first" : "from CRIU's stream");
            return null;
        }
        finally
        {
            if (started is null)
            {
                kept.Dispose(); // whatever stopped the start: nothing reads the packs
            }
        }
    }

    /// <summary>The chunks the fill brings in first, in the order Decisions/FirstFill gives from what the laid-out images say.</summary>
    private static void FillFirst(LazyImages images, Manifest manifest)
    {
        FirstFillFacts facts = images.FirstFillFacts(manifest.FirstTouched, manifest.Generation);
        FirstFillOrder order = FirstFill.Order(facts.Touched, facts.Written, facts.AnyReused, facts.Areas, LazyImages.FirstReadLimit);
        images.FillFirst(order.Touched, order.SmallAreas, order.Written);
    }

    /// <summary>While CRIU restores the app, the files it maps are read into the page cache (<see cref="MappedFilesReadAhead"/>).</summary>
    private void ReadAheadMappedFiles(LazyImages images, long generation)
    {
        try
        {
            MappedFilesReadAhead.Start(images.MappedFiles(), log);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            log.Debug("Checkpoint {Generation}: not reading ahead the files the app maps: {Error}", generation, e.Message);
        }
    }
}

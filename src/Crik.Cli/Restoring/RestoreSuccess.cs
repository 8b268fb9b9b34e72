using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.LazyPages;
using Crik.Cli.Logging;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>The app runs again: from here nothing may fail the restore, or the supervisor would start a second copy.</summary>
internal sealed class RestoreSuccess(IRestoreLedger store, ILogger log)
{
    /// <summary>The restored app, recorded and said; <paramref name="loading"/> is its memory as it arrives, when it was restored lazily.</summary>
    /// <param name="eagerly">How an eager restore ran, for the log (on crik's fill, from CRIU's stream, from image files); null when lazily.</param>
    /// <param name="stopped">What lets the app run, when it was restored stopped (on crik's fill); the supervisor lets it go through the lease's watchdog.</param>
    public RunningApp Finish(RestoreRun run, LazyLoad? loading, string? eagerly = null, IStoppedApp? stopped = null)
    {
        Manifest manifest = run.Manifest;
        // Read before the restore's work directory is done with: CRIU wrote it there as it ended.
        RestoreStatsImage.Counts? stats = RestoreStatsImage.Read(run.Attempt.Criu.Path);
        long? shared = stats is null ? null : (long)stats.PagesSkippedCow * ImagePage.Bytes;
        try
        {
            store.RestoreSucceeded(run.Attempt);
        }
        catch (Exception e)
        {
            log.Warning("Could not keep CRIU's restore log of checkpoint {Generation}: {Error}", manifest.Generation, e.Message);
        }
        run.Stages.Lap("log");
        log.Information(new Happening.Restored(manifest.Generation, loading is not null, run.Clock.Elapsed, CrikUptime.Elapsed, manifest.RootPid, shared),
            "Restored checkpoint {Generation} in {Seconds:0.00} s{How}: the app runs again as PID {Pid}; {Shared}; CRIU log {Log}. Stages: {Stages}; crik's CPU {Cpu}",
            manifest.Generation, run.Clock.Elapsed.TotalSeconds,
            loading is null ? (eagerly is null ? "" : $", eagerly, {eagerly}") : $", lazily ({Size.Format(loading.LazyBytes)} of its memory to come on demand and in the background{FilledFirst(loading)})",
            manifest.RootPid, Sharing(shared), run.Attempt.LogPath, run.Stages.ToString(), StageClock.Milliseconds(run.Stages.CrikCpu));
        // What the app touches first now is what the next lazy restore reads first; until it is seen, what was seen before.
        return new RunningApp(manifest.RootPid, run.App.Exited, manifest.Command, manifest.Generation,
            loading is null ? null : LoadedAsync(loading, manifest.Generation), new RestoredTouches(manifest.FirstTouched, loading), loading?.Arriving, stopped);
    }

    /// <summary>What CRIU's restore statistics say the restored processes share (pages it found equal to a parent's and left shared), or that it wrote none.</summary>
    private static string Sharing(long? shared) => shared is { } bytes
        ? $"{Size.Format(bytes)} kept shared between its processes (CRIU's restore statistics)"
        : "CRIU wrote no restore statistics, so how much memory its processes share is not known";

    private static string FilledFirst(LazyLoad loading) => loading.FilledFirst switch
    {
        { Chunks: 0 } => "",
        { By: FirstFillChoice.Touched } first => $"; the {Size.Format(first.Bytes - first.SmallAreasBytes)} it touched first after its last restore{AndSmallAreas(first.SmallAreasBytes)} filled first",
        { By: FirstFillChoice.Written } first => $"; the {Size.Format(first.Bytes - first.SmallAreasBytes)} it wrote since the previous checkpoint{AndSmallAreas(first.SmallAreasBytes)} filled first",
        var first => $"; the {Size.Format(first.Bytes)} of its smaller memory areas filled first",
    };

    private static string AndSmallAreas(long bytes) => bytes == 0 ? "" : $" and the {Size.Format(bytes)} of its smaller memory areas";

    /// <summary>What became of the memory (<see cref="LazyLoad.Loaded"/>), once logged when it is all in.</summary>
    private async Task<string?> LoadedAsync(LazyLoad loading, long generation)
    {
        string? failure = await loading.Loaded.ConfigureAwait(false);
        if (failure is null && loading.AppEndedFirst)
        {
            log.Information("Checkpoint {Generation}: the app ended {Seconds:0.00} s after the restore began, before its memory was all in "
                + "({Copied} copied in); crik reads no more of it", generation, loading.Elapsed.TotalSeconds, Size.Format(loading.CopiedBytes));
        }
        else if (failure is null)
        {
            (TimeSpan reading, TimeSpan copying) = loading.Time;
            log.Information(new Happening.RestoreMemoryAllIn(generation, loading.Elapsed),
                "Checkpoint {Generation}: the app's memory is all in, {Seconds:0.00} s after the restore began "
                + "({Copied} copied in; the app waited for a page {Faults} times; {Readers} threads read and checked chunks for {Reading:0.00} s, "
                + "and copied them in for {Copying:0.00} s)", generation, loading.Elapsed.TotalSeconds, Size.Format(loading.CopiedBytes), loading.Faults,
                loading.ReaderThreads, reading.TotalSeconds, copying.TotalSeconds);
        }
        return failure;
    }
}

using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.LazyPages;
using Crik.Cli.Observing;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// A lazy restore: the app runs before its memory is all in, and crik brings the rest in on demand and
/// in the background. When it fails before the app ran, the restore goes on eagerly (its plan, <see cref="Decisions.RestorePlan"/>, says so).
/// </summary>
internal sealed class LazyRestore(CrikConfig config, MemoryLoadStart loads, CriuRestore criu, Leftovers leftovers, ILogger log)
{
    /// <summary>
    /// The app's memory as it arrives, once the app was restored lazily; null when the lazy restore failed before the
    /// app ran (said in the log; what it left is gone), and the restore goes on eagerly (<see cref="RestorePlanStep"/>).
    /// </summary>
    public async Task<LazyLoad?> TryAsync(RestoreRun run)
    {
        Manifest manifest = run.Manifest;
        if (loads.Start(run, lazily: true) is not { } loading)
        {
            return null;
        }
        CriuResult restore = await criu.RunFilledAsync(run, loading, leaveStopped: false).ConfigureAwait(false);
        if (restore.Succeeded)
        {
            await loading.HoldUserfaultsAsync().ConfigureAwait(false);
            return loading;
        }
        await FellBackAsync(run, restore, loading).ConfigureAwait(false);
        return null;
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

}

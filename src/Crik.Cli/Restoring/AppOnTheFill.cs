using Crik.Cli.Interop;
using Crik.Cli.LazyPages;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// The app of a restore on crik's own fill, as the fill sees it: what it tells of the store while the memory arrives goes to
/// the log, an Event and the metrics; and on a failure it kills whatever of the app runs.
/// </summary>
internal sealed class AppOnTheFill(RestoreRun run, ChildReaper reaper, ILogger log) : IAppKiller, IOutageListener
{
    private Manifest Manifest => run.Manifest;

    /// <summary>The image store stopped answering while the app's memory arrives, still does not, or is back: in the log, an Event and the metrics.</summary>
    public void Told(OutageNews news)
    {
        long generation = Manifest.Generation;
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
    public void KillApp(string why)
    {
        log.Debug("Killing the restored app: {Why}", why);
        // Its process group first, which holds most of what it forked meanwhile; then by descriptor each restored process, each
        // one it started whose parent died (a daemon in a session of its own), and all they forked.
        // Not once the root is reaped: its PID may then lead another process's group.
        reaper.SignalUnlessReaped(run.App, Signal.SIGKILL, toItsGroup: true);
        RestoredTree.Kill(Manifest.TreePids.Append(Manifest.RootPid).ToHashSet(), reaper.Adopted);
    }
}

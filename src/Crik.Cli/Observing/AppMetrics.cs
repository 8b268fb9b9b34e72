using Crik.Shared.Prometheus;

namespace Crik.Cli.Observing;

/// <summary>The app's figures behind /metrics: whether it runs, how it started and how long that took, and the OOM killer.</summary>
internal sealed class AppMetrics
{
    private int _running;
    private volatile AppStart? _start;
    private long _oomKills;

    /// <summary>The app's start (restored or fresh), a restore that failed, the app's end, and the OOM killer.</summary>
    public void On(Happening happening)
    {
        switch (happening)
        {
            case Happening.Restored r:
                _start = new AppStart("restored", r.SinceStart.TotalSeconds);
                Volatile.Write(ref _running, 1);
                break;
            case Happening.StartedFresh f:
                _start = new AppStart("fresh", f.SinceStart.TotalSeconds);
                Volatile.Write(ref _running, 1);
                break;
            case Happening.RestoreFailed or Happening.AppNotStarted or Happening.AppGone:
                Volatile.Write(ref _running, 0);
                break;
            case Happening.AppOomKilled:
                Interlocked.Increment(ref _oomKills);
                break;
        }
    }

    public void Render(PrometheusText text)
    {
        text.Family("crik_app_running", "gauge", "1 while the app (fresh or restored) runs; 0 before it starts, after it ended, and when crik started nothing.")
            .Sample("crik_app_running", "", Volatile.Read(ref _running));
        if (_start is { } start)
        {
            text.Family("crik_app_start_seconds", "gauge", "Seconds from crik's start to the app running, restored or fresh.")
                .Sample("crik_app_start_seconds", PrometheusText.Labels(("how", start.How)), start.Seconds);
        }
        MetricsText.Counter(text, "crik_app_oom_kills_total", "Times the OOM killer killed the app.", ref _oomKills);
    }

    /// <summary>How and when the app started: one object, so that a scrape never reads one start's label with another's time.</summary>
    private sealed record AppStart(string How, double Seconds);
}

using System.Globalization;
using Crik.Cli.Logging;

namespace Crik.Cli.Observing;

/// <summary>A Kubernetes Event as <c>kubectl describe pod</c> shows it: Normal or Warning, a reason, one sentence.</summary>
internal sealed record PodEventText(string Type, string Reason, string Message)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    /// <summary>The Event a moment makes, or null for one only the metrics show.</summary>
    public static PodEventText? For(Happening happening) => happening switch
    {
        Happening.CheckpointCommitted c => new(Normal, "Checkpointed",
            $"Checkpoint {c.Generation} committed ({Why(c.Reason)}): {Size.Format(c.SizeBytes)}, {Size.Format(c.WrittenBytes)} written, "
            + $"in {Seconds(c.Took)}, the app frozen for {Hold(c.Frozen)}"),
        Happening.CheckpointFailed f => new(Warning, "CheckpointFailed",
            $"{(f.Generation > 0 ? $"Checkpoint {f.Generation}" : "A checkpoint")} failed after {Seconds(f.Took)} ({Why(f.Reason)}): {Sentence(f.Why)}; "
            + "the previous checkpoint is untouched"),
        Happening.CheckpointSkipped s => new(Warning, "CheckpointSkipped", $"Checkpoint not taken ({Why(s.Reason)}): {Sentence(s.Why)}"),
        Happening.CheckpointNotNeeded n => new(Normal, "CheckpointNotNeeded", $"No checkpoint at SIGTERM: {Sentence(n.Why)}"),
        Happening.Restored r => new(Normal, "Restored",
            $"Restored checkpoint {r.Generation} {(r.Lazily ? "lazily" : "eagerly")} in {Seconds(r.Took)}; the app runs again as PID "
            + $"{r.Pid.ToString(CultureInfo.InvariantCulture)}, {Seconds(r.SinceStart)} after crik started"),
        Happening.StoreOutageWhileLoading { Over: false } o => new(Warning, "WaitingForStore",
            $"The image store stopped answering while checkpoint {o.Generation}'s memory arrives ({Sentence(o.Why)}): the app waits for its pages, "
            + $"and crik tries again for up to lazyStoreWait ({o.Patience.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s)"),
        Happening.StoreOutageWhileLoading o => new(Normal, "StoreAnswersAgain",
            $"The image store answers again after {Seconds(o.Lasted)}: checkpoint {o.Generation}'s memory arrives again"),
        Happening.RestoreFailed f => new(Warning, "RestoreFailed", $"Checkpoint {f.Generation} could not be restored{(f.Lazily ? " lazily" : "")}: {Sentence(f.Why)}"),
        Happening.LazyRestoreFellBack f => new(Warning, "RestoreFellBackToEager",
            $"Checkpoint {f.Generation} could not be restored lazily ({Sentence(f.Why)}); restoring it with all its memory first"),
        Happening.AppNotStarted n => new(Warning, "AppNotStarted", $"crik started nothing and exits so that the pod starts again: {Sentence(n.Why)}"),
        Happening.CheckpointSetAside a => new(Warning, "CheckpointSetAside", $"Checkpoint {a.Checkpoint} set aside at {a.MovedTo}: {Sentence(a.Why)}"),
        Happening.StartedFresh f => new(Normal, "StartedFresh", $"Started the app fresh: {Sentence(f.Why)}"),
        Happening.RestoreResumedAgain a => new(Warning, "RestoreResumedAgain",
            $"Resuming checkpoint {a.Generation} again (restore {a.Attempt.ToString(CultureInfo.InvariantCulture)}, at most "
            + $"{a.Limit.ToString(CultureInfo.InvariantCulture)} in a row): the pod that restored it ended without a newer checkpoint"),
        Happening.RestoreCrashLoop c => new(Warning, "RestoreCrashLoop", $"crik gives up on checkpoint {c.Checkpoint}: {Sentence(c.Why)}"),
        Happening.WaitingForLock w => new(Warning, "WaitingForLock",
            $"Another pod holds {w.ImageDir}, so its app may still run: this pod starts nothing until it is released (lockWait {w.LockWait.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s)"),
        Happening.LeaseInDoubt d => new(Warning, "LeaseInDoubt",
            $"crik cannot renew its lease on the image directory (the store does not answer): the app (PID {d.Pid.ToString(CultureInfo.InvariantCulture)}) "
            + "is frozen until the store answers, and runs on if the lease is still crik's (leaseDoubtLimit)"),
        Happening.LeaseKept k => new(Normal, "LeaseKept",
            $"crik renewed its lease after {Seconds(k.InDoubt)} in doubt: no other pod took it, so the app (PID {k.Pid.ToString(CultureInfo.InvariantCulture)}) runs on"),
        Happening.LeaseLost l => new(Warning, "LeaseLost",
            $"crik lost its lease on the image directory, so another pod may now run the app: the app (PID {l.Pid.ToString(CultureInfo.InvariantCulture)}) was killed"
            + (l.InDoubt > TimeSpan.Zero ? $", frozen {Seconds(l.InDoubt)} before, so it ran nothing meanwhile" : "")),
        Happening.CheckpointsRetired r => new(Normal, "CheckpointsRetired",
            $"The app {r.HowItEnded} on its own: its {r.Count.ToString(CultureInfo.InvariantCulture)} checkpoints were retired, so it is not brought back"),
        Happening.AppOomKilled o => new(Warning, "AppOOMKilled",
            $"The app (PID {o.Pid.ToString(CultureInfo.InvariantCulture)}) was killed by the OOM killer"
            + (o.CheckpointsStay ? "; its checkpoints stay, and the next pod restores the newest" : "")),
        _ => null,
    };

    /// <summary>Why a checkpoint was taken, in words, from its metric label.</summary>
    public static string Why(string reason) => reason switch
    {
        "sigterm" => "SIGTERM",
        "periodic" => "periodic",
        "at_risk" => "the node is at risk",
        "on_demand" => "on demand",
        "on_demand_exit" => "on demand, then exit",
        _ => reason,
    };

    /// <summary>A checkpoint's hold of the app: in milliseconds below a second, as a periodic checkpoint's is.</summary>
    private static string Hold(TimeSpan time) =>
        time < TimeSpan.FromSeconds(1) ? time.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : Seconds(time);

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    /// <summary>A reason taken from the log, as part of one sentence: no trailing period, one line.</summary>
    private static string Sentence(string why) => why.ReplaceLineEndings(" ").TrimEnd('.', ' ');
}

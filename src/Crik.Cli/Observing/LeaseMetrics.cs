using Crik.Shared.Prometheus;

namespace Crik.Cli.Observing;

/// <summary>The lock or lease's figures behind /metrics: its state, the freezes, and how long a doubt has lasted or lasted before it was kept.</summary>
internal sealed class LeaseMetrics
{
    private volatile LeaseState _state = LeaseState.None;
    private long _freezes;
    /// <summary>When (<see cref="Environment.TickCount64"/>) the app was frozen for a lease in doubt; 0 while it is not.</summary>
    private long _doubtSince;
    private long _doubtsKept;
    private double _keptAfter;

    /// <summary>The lease's state; a doubt is timed from the freeze until it is kept or lost.</summary>
    public void On(Happening happening)
    {
        LeaseState state = happening switch
        {
            Happening.LeaseChanged l => l.State,
            Happening.LeaseInDoubt => LeaseState.Frozen,
            Happening.LeaseKept => LeaseState.Held,
            _ => LeaseState.Lost,
        };
        if (state == LeaseState.Frozen && _state != LeaseState.Frozen)
        {
            Interlocked.Increment(ref _freezes);
        }
        if (happening is Happening.LeaseInDoubt)
        {
            Interlocked.CompareExchange(ref _doubtSince, Environment.TickCount64, 0);
        }
        else if (state != LeaseState.Frozen)
        {
            Interlocked.Exchange(ref _doubtSince, 0);
        }
        if (happening is Happening.LeaseKept kept)
        {
            Interlocked.Increment(ref _doubtsKept);
            Volatile.Write(ref _keptAfter, kept.InDoubt.TotalSeconds);
        }
        _state = state;
    }

    public void Render(PrometheusText text)
    {
        text.Family("crik_lease_state", "gauge", "The image directory's lock or lease: 1 for the state it is in.");
        foreach (LeaseState state in Enum.GetValues<LeaseState>())
            text.Sample("crik_lease_state", PrometheusText.Labels(("state", state.ToString().ToLowerInvariant())), state == _state ? 1 : 0);
        MetricsText.Counter(text, "crik_lease_freezes_total", "Times crik froze the app because its lease could not be renewed.", ref _freezes);
        MetricsText.SecondsSince(text, "crik_lease_in_doubt_seconds",
            "How long the app has been frozen because crik cannot renew its lease (the store does not answer); 0 while it is not.", ref _doubtSince);
        MetricsText.Counter(text, "crik_lease_doubts_kept_total", "Times a lease in doubt was renewed again (no other pod took it) and the frozen app ran on.", ref _doubtsKept);
        text.Family("crik_lease_kept_after_seconds", "gauge", "How long the app was frozen before the last lease in doubt was kept; 0 when none was.")
            .Sample("crik_lease_kept_after_seconds", "", Volatile.Read(ref _keptAfter));
    }
}

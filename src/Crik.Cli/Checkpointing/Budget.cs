using System.Diagnostics;

namespace Crik.Cli.Checkpointing;

/// <summary>The time left of checkpointBudget, which started when the SIGTERM was taken up.</summary>
/// <param name="spentBefore">What the supervisor spent of it before the checkpoint began (waiting for a lease in doubt).</param>
internal sealed class Budget(TimeSpan total, TimeSpan spentBefore = default)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TimeSpan Total => total;

    public TimeSpan Remaining => total - spentBefore - _clock.Elapsed is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    public bool Spent => Remaining == TimeSpan.Zero;

    /// <summary>A step's own limit, cut to what is left of the budget.</summary>
    public TimeSpan AtMost(TimeSpan limit) => limit < Remaining ? limit : Remaining;
}

using System.Diagnostics;

namespace Crik.Cli.Checkpointing;

/// <summary>The time left of checkpointBudget, which started when the SIGTERM was taken up.</summary>
internal sealed class Budget(TimeSpan total)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TimeSpan Total => total;

    public TimeSpan Remaining => total - _clock.Elapsed is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    public bool Spent => Remaining == TimeSpan.Zero;

    /// <summary>A step's own limit, cut to what is left of the budget.</summary>
    public TimeSpan AtMost(TimeSpan limit) => limit < Remaining ? limit : Remaining;
}

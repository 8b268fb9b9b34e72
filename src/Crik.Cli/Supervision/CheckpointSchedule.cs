namespace Crik.Cli.Supervision;

/// <summary>When the supervisor checkpoints a running app besides SIGTERM and <c>crik checkpoint</c>.</summary>
/// <param name="Interval">checkpointInterval, or null for no periodic checkpoints.</param>
/// <param name="NodeStatePoll">How often to ask whether the node turned at-risk (only with periodic checkpoints and a node-state server).</param>
/// <param name="PreDumpInterval">preDumpInterval, or null for no pre-dumps.</param>
/// <param name="LeaseDoubtWait">How long a SIGTERM's checkpoint waits for a lease in doubt to be kept, the app frozen meanwhile (checkpointTimeout).</param>
internal sealed record CheckpointSchedule(TimeSpan? Interval, TimeSpan NodeStatePoll, TimeSpan? PreDumpInterval = null, TimeSpan LeaseDoubtWait = default)
{
    public static readonly CheckpointSchedule None = new(null, TimeSpan.FromSeconds(10));
}

namespace Crik.Cli.Decisions;

/// <summary>
/// When the next periodic checkpoint starts. checkpointInterval counts from the start of the last one, so that checkpoints
/// come as often as configured and a node that dies loses at most about one interval and one checkpoint of work. One that
/// took the whole interval or longer stretches it: the next starts an interval after it ended, never at once, so that
/// checkpoints never run back to back and the app always gets an interval between them.
/// </summary>
internal static class PeriodicSchedule
{
    /// <param name="interval">checkpointInterval.</param>
    /// <param name="lastTook">How long the last periodic checkpoint took, from its start to its end (committed, failed or skipped).</param>
    /// <returns>How long to wait from the end of the last one; whether the interval was stretched.</returns>
    public static (TimeSpan Wait, bool Stretched) Next(TimeSpan interval, TimeSpan lastTook) =>
        lastTook < interval ? (interval - lastTook, false) : (interval, true);
}

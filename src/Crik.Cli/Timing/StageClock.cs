// Timing/ owns the per-stage times that checkpoint and restore lines report.
using System.Diagnostics;
using System.Globalization;

namespace Crik.Cli.Timing;

/// <summary>
/// The wall time of each stage of one checkpoint or restore, so that its log line says where the
/// time went (the benchmark reads the same line). Stages are consecutive: each lap ends the one
/// before. Not thread-safe: one checkpoint or restore runs its stages in order.
/// </summary>
internal sealed class StageClock
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _cpuAtStart = Environment.CpuUsage.TotalTime;
    private readonly List<(string Stage, TimeSpan Took)> _stages = [];
    private TimeSpan _lapStarted;

    /// <summary>Ends the stage under way and names it; a stage run twice (a retried dump) adds up.</summary>
    public void Lap(string stage)
    {
        TimeSpan now = _clock.Elapsed;
        int existing = _stages.FindIndex(s => s.Stage == stage);
        if (existing >= 0)
        {
            _stages[existing] = (stage, _stages[existing].Took + (now - _lapStarted));
        }
        else
        {
            _stages.Add((stage, now - _lapStarted));
        }
        _lapStarted = now;
    }

    /// <summary>CPU time all of crik's threads used since this clock started (the streamer's hashing and copying, mostly).</summary>
    public TimeSpan CrikCpu => Environment.CpuUsage.TotalTime - _cpuAtStart;

    /// <summary>"lock 1 ms, dump 612 ms, ...": every stage so far, in order.</summary>
    public override string ToString() =>
        string.Join(", ", _stages.Select(s => s.Stage + " " + Milliseconds(s.Took)));

    public static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";
}

using Crik.Cli.Criu;
using Crik.Cli.Interop;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// How long a dump held the app: from CRIU's seize of its first process to crik letting it go (or, when the app ends after the
/// checkpoint, to the moment it could have been let go).
/// </summary>
/// <param name="AtMost">The seize's moment is not known (a CRIU without criu-patches/0013, or a log that could not be read), so the
/// hold is counted from an earlier one: from criu's spawn plus the seize's timestamp, or from the spawn alone.</param>
internal sealed record AppHold(TimeSpan Length, bool AtMost)
{
    /// <param name="dump">The CRIU run that held the app.</param>
    /// <param name="times">What its log tells; null when it could not be read.</param>
    /// <param name="letGoAt">When crik let the app go, on <see cref="MonotonicClock"/>.</param>
    public static AppHold Of(CriuResult dump, DumpLogTimes? times, long letGoAt)
    {
        // Out of the run's bounds, the log is not this run's to time it by.
        if (times?.SeizedAt is { } seizedAt && seizedAt >= dump.StartedAt && seizedAt <= letGoAt)
        {
            return new AppHold(MonotonicClock.Between(seizedAt, letGoAt), AtMost: false);
        }
        // criu's log starts after its spawn, so the seize is no earlier than the spawn plus its timestamp.
        long from = dump.StartedAt + (times?.Seized?.Ticks * 100 ?? 0);
        return new AppHold(MonotonicClock.Between(Math.Min(from, letGoAt), letGoAt), AtMost: true);
    }

    public override string ToString() => $"{(AtMost ? "at most " : "")}{Length.TotalMilliseconds:0.0} ms";
}

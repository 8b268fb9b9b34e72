using Crik.Cli.Processes;

namespace Crik.Cli.Criu;

/// <summary>How one CRIU run ended, with the first telling error line of its log when it failed (read before the log is moved; empty when it succeeded).</summary>
/// <param name="StartedAt">When criu was spawned, on <see cref="Interop.MonotonicClock"/>.</param>
internal sealed record CriuResult(WaitStatus Status, TimeSpan Duration, bool TimedOut, string FirstError, long StartedAt = 0)
{
    public bool Succeeded => Success(Status, TimedOut);

    public static bool Success(WaitStatus status, bool timedOut) => !timedOut && status.Exited && status.ExitCode == 0;

    /// <summary>
    /// Whether a criu asked to stop at its timeout counts as timed out: not when it ended well all the same. A dump checks for
    /// the stop for the last time before it is done with the app (criu-patches 0010), so one that ends well has taken the
    /// whole checkpoint; a restore that ends well has the app running.
    /// </summary>
    public static bool CountsAsTimedOut(WaitStatus status, bool stoppedAtTimeout) => stoppedAtTimeout && !(status.Exited && status.ExitCode == 0);

    /// <summary>A one-line account of a failure: the exit or timeout, and CRIU's first error line.</summary>
    public string Describe(TimeSpan? timeout = null) =>
        (TimedOut ? $"criu did not finish within {timeout?.TotalSeconds:0.###} s and was stopped" : $"criu ended with {Status}")
        + $": {FirstError}";
}

using Crik.Cli.Processes;

namespace Crik.Cli.Criu;

/// <summary>How one CRIU run ended, with the first telling error line of its log when it failed (read before the log is moved; empty when it succeeded).</summary>
/// <param name="StartedAt">When criu was spawned, on <see cref="Interop.MonotonicClock"/>.</param>
internal sealed record CriuResult(WaitStatus Status, TimeSpan Duration, bool TimedOut, string FirstError, long StartedAt = 0)
{
    public bool Succeeded => Success(Status, TimedOut);

    public static bool Success(WaitStatus status, bool timedOut) => !timedOut && status.Exited && status.ExitCode == 0;

    /// <summary>A one-line account of a failure: the exit or timeout, and CRIU's first error line.</summary>
    public string Describe(TimeSpan? timeout = null) =>
        (TimedOut ? $"criu did not finish within {timeout?.TotalSeconds:0.###} s and was stopped" : $"criu ended with {Status}")
        + $": {FirstError}";
}

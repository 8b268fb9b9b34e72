using Crik.Cli.Processes;

namespace Crik.Cli.Criu;

/// <summary>How one CRIU run ended, with the first telling error line of its log (read before the log is moved).</summary>
internal sealed record CriuResult(WaitStatus Status, TimeSpan Duration, bool TimedOut, string FirstError)
{
    public bool Succeeded => !TimedOut && Status.Exited && Status.ExitCode == 0;

    /// <summary>A one-line account of a failure: the exit or timeout, and CRIU's first error line.</summary>
    public string Describe(TimeSpan? timeout = null) =>
        (TimedOut ? $"criu did not finish within {timeout?.TotalSeconds:0.#} s and was killed" : $"criu ended with {Status}")
        + $": {FirstError}";
}

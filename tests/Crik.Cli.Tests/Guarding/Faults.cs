using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>
/// Runs of the Debug crik with CRIK_FAULT set (the fault seam throws the first time the named point is
/// reached), and what every test of the guard checks: one warning, the app going on, and no crash.
/// </summary>
internal static class Faults
{
    /// <summary>An app that counts, and exits 9 (saying so) on SIGTERM.</summary>
    public const string Counter = "trap 'echo app-got-term; exit 9' TERM; i=0; while :; do echo \"count $i\"; i=$((i+1)); sleep 0.1; done";

    public const int CounterExitOnSigterm = 9;

    /// <summary>CRIK_FAULT set to <paramref name="point"/>, with <paramref name="more"/> besides.</summary>
    public static Dictionary<string, string> At(string point, IDictionary<string, string>? more = null) =>
        new(more ?? new Dictionary<string, string>()) { ["CRIK_FAULT"] = point };

    /// <summary>Waits for the warning that says <paramref name="what"/> is switched off, and checks it is the only one, with the fault's stack.</summary>
    public static string SwitchedOffOnce(CrikRun run, string what)
    {
        string said = $" WRN crik: crik's {what} switched off: ";
        run.WaitForLine(said, stderr: true);
        string line = Assert.Single(run.Stderr, l => l.Contains(said, StringComparison.Ordinal));
        Assert.Contains("Why: ", line, StringComparison.Ordinal);
        Assert.Contains("Crik.Cli.Processes.FaultSeamException: a fault the tests asked for", line, StringComparison.Ordinal);
        // The stack is in the line, its line breaks written as \n: one event is one line.
        Assert.Contains(@"\n   at Crik.Cli.Processes.FaultSeam.Hit", line, StringComparison.Ordinal);
        Assert.Single(run.Stderr, IsSwitchedOff);
        return line;
    }

    private static bool IsSwitchedOff(string line) =>
        line.Contains(" WRN crik: crik's ", StringComparison.Ordinal) && line.Contains(" switched off: ", StringComparison.Ordinal);

    /// <summary>The app keeps counting: five more counts after now.</summary>
    public static void AppGoesOn(CrikRun run)
    {
        int now = Pods.Counts(run).LastOrDefault();
        run.WaitForLine(_ => Pods.Counts(run).LastOrDefault() >= now + 5);
    }

    /// <summary>Nothing ended crik: no runtime's crash report, no last resort; and one feature at most was switched off.</summary>
    public static void NoCrash(CrikRun run)
    {
        Assert.True(run.Stderr.Count(IsSwitchedOff) <= 1, run.Transcript);
        Assert.DoesNotContain(run.Stderr, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Stderr, l => l.Contains(" FTL ", StringComparison.Ordinal));
    }
}

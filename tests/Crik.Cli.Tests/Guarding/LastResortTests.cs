using Crik.Cli.Tests.Shipping;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>What no guard catches ends crik with one line and exit code 125; the shipped binary has no fault seam to trip.</summary>
public sealed class LastResortTests
{
    /// <summary>CRIK_FAULT=unguarded: a thread outside every guard throws half a second after start.</summary>
    [NamespaceFact]
    public void AnExceptionNobodyCaughtEndsCrikWith125AndOneFatalLine()
    {
        using CrikRun run = CrikRun.Start(["run", "--", "sh", "-c", Faults.Counter], environment: Faults.At("unguarded"));

        Assert.Equal(125, run.WaitForExit());
        string fatal = Assert.Single(run.Stderr, l => l.Contains(" FTL ", StringComparison.Ordinal));
        Assert.Contains("an exception nobody caught: Crik.Cli.Processes.FaultSeamException", fatal, StringComparison.Ordinal);
        // The stack comes next, and after it what becomes of the app.
        Assert.Contains(run.Stderr, l => l.Contains("crik cannot go on: it exits with 125", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Stderr, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    /// <summary>The NativeAOT crik (CRIK_BIN), named outright: CrikRun would otherwise run the Debug build for a CRIK_FAULT.</summary>
    [NativeAotFact]
    public void TheShippedBinaryIgnoresTheFaultSeam()
    {
        Assert.True(NativeAotBinary.Missing is null, NativeAotBinary.Missing); // without it Paths.Crik is the Debug build, which has the seam
        using CrikRun run = CrikRun.Start(["run", "--", "sh", "-c", "sleep 2; echo app-done; exit 3"], asPid1: false,
            environment: Faults.At("unguarded"), binary: Paths.Crik);

        Assert.Equal(3, run.WaitForExit());
        Assert.Contains("app-done", run.Stdout);
        Assert.DoesNotContain(run.Stderr, l => l.Contains(" FTL ", StringComparison.Ordinal) || l.Contains("FaultSeam", StringComparison.Ordinal));
    }
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>A thread that serves a restore and fails in a way nobody expected fails that restore, not crik.</summary>
public sealed class RestoreReaderFailureTests
{
    [CriuFact]
    public void AFailedImageReaderIsAFailedRestoreAndTheAppStartsFresh()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Faults.Counter))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }

        // From CRIU's stream, which crik's image reader serves (an eager restore on crik's fill has none).
        using CrikRun second = pods.StartWith(Faults.At("crik image reader", Restoring.FilledRestoreTests.WithoutUserfault), "sh", "-c", Faults.Counter);
        string failed = second.WaitForLine("restoring checkpoint 1 failed", stderr: true);
        Assert.Contains("crik image reader failed unexpectedly: Crik.Cli.Processes.FaultSeamException: a fault the tests asked for", failed,
            StringComparison.Ordinal);
        // The stack comes next, and after it what crik does instead.
        second.WaitForLine(l => l.EndsWith("starting sh -c " + Faults.Counter + " fresh (onRestoreFailure: fresh)", StringComparison.Ordinal), stderr: true);
        second.WaitForLine("count 0");
        Faults.AppGoesOn(second);
        Faults.NoCrash(second);
        second.Signal(Native.SIGKILL);
    }
}

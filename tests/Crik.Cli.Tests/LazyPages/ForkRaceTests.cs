using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// The kernel lets a process that forks go on as crik reads the fork's event: what crik reads in /proc afterwards may
/// be the process's later state. The delay seam (CRIK_TEST_EVENT_DELAY_MS) makes crik that late every time.
/// </summary>
public class ForkRaceTests
{
    /// <summary>
    /// A restored process forks as a daemon does while the memory arrives, and exits at once, reaped at once: by the time
    /// crik looks at it for the fork's event it is gone, and nothing says any more what its child has. crik fails the fill
    /// (the app is killed, its checkpoint kept for an eager restore) rather than give the child zeros for its memory.
    /// </summary>
    [CriuFact]
    public void AChildWhoseParentExitedBeforeCrikLookedIsNeverGivenZerosForItsMemory()
    {
        using var pods = new Pods("lazyRestore: on\n");
        string[] app = ["python3", Paths.App("double-fork.py"), "64"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            first.WaitForLine(_ => Pods.Counts(first).Count >= 3);
            Pods.CheckpointAndStopForAClockJump(first);
        }
        var late = new Dictionary<string, string> { ["CRIK_TEST_EVENT_DELAY_MS"] = "300", ["CRIK_TEST_FILL_PACE_MS"] = "40" };
        using CrikRun second = pods.StartWith(late, app);
        second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        Poll.Until(() => second.Stdout.Any(l => l.StartsWith("grandchild intact", StringComparison.Ordinal))
            || second.Stderr.Any(l => l.Contains("the app's memory could not all be brought in", StringComparison.Ordinal)),
            "the child to check its memory, or the fill to fail", TimeSpan.FromSeconds(60));
        Assert.True(!second.Stdout.Contains("grandchild intact no"), $"the child was given memory it did not have\n{second.Transcript}");
        second.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.True(second.Stderr.Any(l => l.Contains("cannot tell which of its memory a child it forked has", StringComparison.Ordinal)), second.Transcript);

        // The checkpoint stays, and the next pod restores it with all its memory first.
        using CrikRun third = pods.Start(app);
        string restored = third.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        Assert.DoesNotContain(", lazily (", restored, StringComparison.Ordinal);
        third.WaitForLine("grandchild intact yes", TimeSpan.FromSeconds(60));
        third.Signal(Native.SIGKILL);
    }
}

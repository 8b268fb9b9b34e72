using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// The kernel lets a process that forks go on as crik reads the fork's event: what crik reads in /proc afterwards may
/// be the process's later state. The delay seams (Timing/TestDelay: each event handled late, each /proc read late) make
/// crik that late every time.
/// </summary>
public class ForkRaceTests
{
    /// <summary>
    /// A restored process forks as a daemon does while the memory arrives, and exits at once, reaped at once: by the time
    /// crik looks at it for the fork's event it is gone. Before, nothing then said what its child had, and crik failed the
    /// fill (the app killed). The child, now crik's own, says it with its own areas: it keeps its memory, and counts on.
    /// </summary>
    [CriuTheory]
    [InlineData("CRIK_TEST_EVENT_DELAY_MS", "300")]
    [InlineData("CRIK_TEST_PROC_READ_DELAY_MS", "20")]
    public void AChildWhoseParentExitedBeforeCrikLookedKeepsItsMemory(string seam, string milliseconds)
    {
        using var pods = new Pods("lazyRestore: on\n");
        using CrikRun second = RestoredLate(pods, "double-fork.py", seam, milliseconds);
        second.WaitForLine(l => l.Contains("grandchild intact", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.True(second.Stdout.Any(l => l.Contains("grandchild intact yes", StringComparison.Ordinal)), second.Transcript); // another process may write on the same line
        second.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(120), stderr: true);
        int counted = Pods.Counts(second).Count;
        second.WaitForLine(_ => Pods.Counts(second).Count > counted + 5);
        second.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A restored process starts a program beside it (a spawned child shares its memory until the program runs), then forks
    /// a child that forks at once. Before, crik took the parent's children as it got to the first fork's event as the ones
    /// before it, so the child was among them, and crik could not tell which process forked the second time: the fill
    /// failed and the app was killed. The grandchild has its memory, the wiped mapping empty, and the fill ends whole.
    /// </summary>
    [CriuTheory]
    [InlineData("CRIK_TEST_EVENT_DELAY_MS", "300")]
    [InlineData("CRIK_TEST_PROC_READ_DELAY_MS", "20")]
    public void AChildThatForksAtOnceIsFoundBesideASpawnedProgram(string seam, string milliseconds)
    {
        using var pods = new Pods("lazyRestore: on\n");
        using CrikRun second = RestoredLate(pods, "fork-twice.py", seam, milliseconds);
        second.WaitForLine(l => l.Contains("grandchild kept", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.True(second.Stdout.Any(l => l.Contains("grandchild kept yes wiped yes", StringComparison.Ordinal)), second.Transcript); // another process may write on the same line
        second.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(120), stderr: true);
        Assert.DoesNotContain(second.Stderr, l => l.Contains("could not all be brought in", StringComparison.Ordinal));
        second.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// The app checkpointed in a first pod and restored lazily in a second, with crik late at one seam (each fork, remap and
    /// unmap event handled late, or each read of /proc) and filling slowly enough that the app forks before the memory is in.
    /// </summary>
    private static CrikRun RestoredLate(Pods pods, string script, string seam, string milliseconds)
    {
        string[] app = ["python3", Paths.App(script), "64"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            first.WaitForLine(_ => Pods.Counts(first).Count >= 3);
            Pods.CheckpointAndStop(first);
        }
        CrikRun second = pods.StartWith(new Dictionary<string, string> { [seam] = milliseconds, ["CRIK_TEST_FILL_PACE_MS"] = "40" }, app);
        try
        {
            second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
            return second;
        }
        catch
        {
            second.Dispose();
            throw;
        }
    }
}

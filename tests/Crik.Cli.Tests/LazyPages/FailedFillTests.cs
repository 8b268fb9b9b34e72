using Crik.Cli.Tests.Guarding;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// A lazy restore whose fill fails kills the whole app before its memory is let go: every process of it, also one that
/// belongs to none crik restored and to no process group of theirs.
/// </summary>
public sealed class FailedFillTests
{
    /// <summary>
    /// Just after the restore, the app starts a daemon: a child whose parent exits at once, so it is crik's (adopted), and
    /// which leaves the app's process group for a session of its own. It reads its memory, which meets a damaged chunk (no
    /// other process reads that memory): the fill fails. Before, crik killed the app's process group and the processes it
    /// restored, the daemon ran on, and once crik let go of the memory it read zeros where its pages never arrived, while crik
    /// noted the failure in the store (held long here by the seam, as a slow store does). With <paramref name="killLate"/>, crik
    /// is slow to start the kill (as a loaded machine makes it): before, the events thread saw the failure meanwhile and let go
    /// of the userfaultfds, and the daemon read zeros before the kill reached it.
    /// </summary>
    [CriuTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void ADaemonTheAppStartedWhileItsMemoryArrivesIsKilledWithItWhenTheFillFails(bool killLate)
    {
        using var pods = new Pods("lazyRestore: on\n");
        string[] app = ["python3", Paths.App("double-fork.py"), "64", "setsid"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(first);
        }
        pods.DamageAChunkInTheMiddle();
        string fillHold = Path.Combine(pods.Root, "fill-held");
        File.WriteAllText(fillHold, ""); // only the daemon's reads bring in the app's memory, and never is the hold let go
        var environment = new Dictionary<string, string>
        {
            ["CRIK_TEST_FILL_HOLD_FILE"] = fillHold,
            ["CRIK_TEST_FAILED_FILL_PAUSE_MS"] = "3000",
        };
        if (killLate)
        {
            environment["CRIK_TEST_FILL_KILL_PAUSE_MS"] = "2000";
        }
        using CrikRun second = pods.StartWith(environment, app);
        second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(90)));
        string why = Assert.Single(second.Stderr, l => l.Contains("the app's memory could not all be brought in", StringComparison.Ordinal));
        Assert.Contains("does not match its XXH3-64", why, StringComparison.Ordinal);
        Assert.Contains(second.Stderr, l => l.Contains("pausing 3000 ms at CRIK_TEST_FAILED_FILL_PAUSE_MS", StringComparison.Ordinal));
        Assert.True(!killLate || second.Stderr.Any(l => l.Contains("pausing 2000 ms at CRIK_TEST_FILL_KILL_PAUSE_MS", StringComparison.Ordinal)));
        Assert.DoesNotContain(second.Stdout, l => l.Contains("grandchild intact", StringComparison.Ordinal));
        Assert.Equal(["checkpoint-000001"], pods.Committed());
    }

    /// <summary>
    /// crik cannot take in a fork the app made while its memory arrives (here a failure the tests ask for, once the child is
    /// known): the fill fails, and the app, the child included, is killed before the child's userfaultfd is let go. Before, crik
    /// closed the child's userfaultfd first, and the child, running already, read zeros where its pages had not arrived until
    /// the kill came (late here, as a loaded machine makes it).
    /// </summary>
    [CriuFact]
    public void AForkCrikCannotTakeInEndsTheAppBeforeTheChildReadsAnything()
    {
        using var pods = new Pods("lazyRestore: on\n");
        string[] app = ["python3", Paths.App("double-fork.py"), "64"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(first);
        }
        string fillHold = Path.Combine(pods.Root, "fill-held");
        File.WriteAllText(fillHold, ""); // the worker's memory is still to come when it forks
        using CrikRun second = pods.StartWith(Faults.At("crik fork event", new Dictionary<string, string>
        {
            ["CRIK_TEST_FILL_HOLD_FILE"] = fillHold,
            ["CRIK_TEST_FILL_KILL_PAUSE_MS"] = "2000",
        }), app);
        second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(90)));
        string why = Assert.Single(second.Stderr, l => l.Contains("the app's memory could not all be brought in", StringComparison.Ordinal));
        Assert.Contains("\"crik fork event\"", why, StringComparison.Ordinal);
        Assert.Contains(second.Stderr, l => l.Contains("pausing 2000 ms at CRIK_TEST_FILL_KILL_PAUSE_MS", StringComparison.Ordinal));
        Assert.DoesNotContain(second.Stdout, l => l.Contains("grandchild intact", StringComparison.Ordinal));
        Assert.Equal(["checkpoint-000001"], pods.Committed());
    }
}

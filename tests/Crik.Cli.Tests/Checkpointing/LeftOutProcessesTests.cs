using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// A daemon the app started (its parent exited, so crik adopted it) is outside the tree CRIU checkpoints: the checkpoint says
/// so, naming it, rather than leaving the next pod to find it gone.
/// </summary>
public sealed class LeftOutProcessesTests
{
    [CriuFact]
    public void ACheckpointNamesTheDaemonsItLeavesOutAndTheNextPodRunsWithoutThem()
    {
        using var pods = new Pods();
        string[] app = ["sh", "-c", $"( setsid sh -c '{Pods.Counter("daemon")}' & ); {Pods.Counter()}"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine(_ => Pods.Counts(first, "daemon").Count >= 2 && Pods.Counts(first).Count >= 2);
            Pods.CheckpointAndStop(first);
            string warning = Assert.Single(first.Stderr, l => l.Contains("leaves out", StringComparison.Ordinal));
            Assert.Matches(@"Checkpoint 1 leaves out 1 process not in the app's tree: PID \d+ \(sh\)( and 1 below it)?\. ", warning);
            Assert.Contains("the next pod restores the app without them", warning, StringComparison.Ordinal);
        }
        using CrikRun second = pods.Start(app);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        int from = second.Stdout.Count;
        second.WaitForLine(_ => Pods.Counts(second).Count > 3);
        Assert.DoesNotContain(second.Stdout.Skip(from), l => l.StartsWith("daemon ", StringComparison.Ordinal));
        Assert.DoesNotContain(second.Stderr, l => l.Contains("leaves out", StringComparison.Ordinal));
        second.Signal(Native.SIGKILL);
    }
}

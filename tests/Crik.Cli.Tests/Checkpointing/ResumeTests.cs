using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// crik resumes from the newest checkpoint: work after it may run again, work before it never, and a
/// finished app is never brought back. A generation whose restored pods keep dying is given up.
/// </summary>
public class ResumeTests
{
    [CriuFact]
    public void RestoredPodsKilledWithoutACheckpointAreFollowedByPodsThatResumeFromItUntilTheGuardGivesUp()
    {
        using var pods = new Pods("restoreAttempts: 3\n");
        int checkpointed;
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine(_ => Pods.Counts(first).Count >= 3);
            Pods.CheckpointAndStop(first);
            checkpointed = Pods.Counts(first).Last();
        }
        for (int restore = 1; restore <= 3; restore++)
        {
            using CrikRun pod = pods.Start("sh", "-c", Pods.Counter());
            pod.WaitForLine("Restored checkpoint 1 ", stderr: true);
            pod.WaitForLine(_ => Pods.Counts(pod).Count >= 3);
            Assert.True(Pods.Counts(pod)[0] == checkpointed + 1, $"restore {restore} should go on from {checkpointed}\n{pod.Transcript}");
            if (restore > 1)
            {
                Assert.Contains(pod.Stderr, l => l.Contains("Resuming checkpoint 1 again: the pod that restored it at ", StringComparison.Ordinal)
                    && l.Contains($"(restore {restore};", StringComparison.Ordinal));
            }
            pod.Signal(Native.SIGKILL); // the node dies: no SIGTERM, no checkpoint
            pod.WaitForExit();
            Assert.Equal(["checkpoint-000001"], pods.Committed());
        }

        // Three restores in a row, each dead within restoreProbation: crik gives up on the generation, with its reason.
        using CrikRun last = pods.Start("sh", "-c", Pods.Counter());
        last.WaitForLine(_ => Pods.Counts(last).Count >= 2);
        Assert.Equal(0, Pods.Counts(last)[0]);
        Assert.Contains(last.Stderr, l => l.Contains("crik gives up on it (restoreAttempts: 3)", StringComparison.Ordinal));
        string setAside = Assert.Single(pods.SetAside());
        Assert.Contains("restored 3 times in a row", File.ReadAllText(Path.Combine(setAside, "SET-ASIDE-REASON.txt")), StringComparison.Ordinal);
        last.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void ARestoredAppThatEndsOnItsOwnIsNotBroughtBack()
    {
        using var pods = new Pods();
        string stop = Path.Combine(pods.Root, "stop");
        string app = $"i=0; while [ ! -e {stop} ]; do i=$((i+1)); echo \"count $i\"; sleep 0.1; done; exit 3";
        using (CrikRun first = pods.Start("sh", "-c", app))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        using (CrikRun second = pods.Start("sh", "-c", app))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            File.WriteAllText(stop, "");
            Assert.Equal(3, second.WaitForExit());
            second.WaitForLine("The app ended on its own: retired its 1 committed checkpoints", stderr: true);
        }
        File.Delete(stop);
        using CrikRun third = pods.Start("sh", "-c", app);
        third.WaitForLine("count 2");
        Assert.Equal(1, Pods.Counts(third)[0]);
        Assert.Contains(third.Stderr, l => l.Contains("No checkpoint to restore", StringComparison.Ordinal));
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AFileCrikCannotMakePrivateInTheImageDirectoryCostsNoCheckpoint()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        string stubborn = Path.Combine(pods.ImageDir, "checkpoint-000001", "stubborn");
        File.WriteAllText(stubborn, "");
        File.SetUnixFileMode(stubborn, UnixFileMode.UserRead | UnixFileMode.OtherRead);
        Assert.Equal(0, HostCommand.Run("chattr", "+i", stubborn).ExitCode);
        try
        {
            using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            Assert.Contains(second.Stderr, l => l.Contains("Could not make everything in", StringComparison.Ordinal));
            second.WaitForLine(_ => Pods.Counts(second).Count >= 1);
            Assert.True(Pods.Counts(second)[0] > 1, second.Transcript);
            second.Signal(Native.SIGKILL);
        }
        finally
        {
            HostCommand.Run("chattr", "-i", stubborn);
        }
    }
}

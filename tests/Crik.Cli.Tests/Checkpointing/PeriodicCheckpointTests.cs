using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>checkpointInterval: checkpoints the app runs on from, for a node that vanishes without SIGTERM.</summary>
public class PeriodicCheckpointTests
{
    [CriuFact]
    public void AfterTheNodeVanishesTheNextPodRestoresTheNewestPeriodicCheckpoint()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        int lastSeen;
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("Checkpoint 2 committed", stderr: true);
            // The app runs on after each periodic checkpoint.
            int atCheckpoint = Pods.Counts(first).Last();
            first.WaitForLine(_ => Pods.Counts(first).Last() >= atCheckpoint + 5);
            first.Signal(Native.SIGKILL); // no SIGTERM, no final checkpoint: the node is gone
            first.WaitForExit();
            lastSeen = Pods.Counts(first).Last();
        }
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        string restored = second.WaitForLine("Restored checkpoint", stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 3);
        // It goes on from an earlier moment than the last line the first pod printed, not from 0.
        int resumedAt = Pods.Counts(second)[0];
        Assert.True(resumedAt > 0 && resumedAt <= lastSeen + 1, $"resumed at {resumedAt}, last seen {lastSeen}\n{restored}\n{second.Transcript}");

        // A SIGTERM checkpoint after periodic ones is an ordinary one.
        Pods.CheckpointAndStop(second);
        using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
        third.WaitForLine("Restored checkpoint", stderr: true);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 2);
        Assert.True(Pods.Counts(third)[0] > Pods.Counts(second).Last() - 1, third.Transcript);
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AnAppThatEndsOnItsOwnAfterPeriodicCheckpointsIsNotBroughtBack()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        const string job = "i=0; while [ $i -lt 35 ]; do echo \"count $i\"; i=$((i+1)); sleep 0.1; done; echo job-done; exit 0";
        using (CrikRun first = pods.Start("sh", "-c", job))
        {
            Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Contains(first.Stderr, l => l.Contains("committed", StringComparison.Ordinal));
            Assert.Contains(first.Stderr, l => l.Contains("The app ended on its own: retired its", StringComparison.Ordinal));
        }
        Assert.Empty(pods.Committed());
        using CrikRun second = pods.Start("sh", "-c", job);
        second.WaitForLine("No checkpoint to restore", stderr: true);
        second.Signal(Native.SIGKILL);
    }
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>The lines that report a checkpoint and a restore say where the time went, stage by stage (the benchmark reads them).</summary>
public class StageTimesTests
{
    [CriuFact]
    public void TheCommitAndRestoreLinesNameEveryStageAndTheStreamOfThePagesImage()
    {
        using var pods = new Pods("trackWrites: auto\n"); // a SIGTERM's checkpoint: what the app wrote is read beside the commit, no writes stage
        string committed;
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
            committed = first.WaitForLine("Checkpoint 1 committed", stderr: true);
        }
        Assert.Matches(@"Stages: lock \d+ ms, staging \d+ ms, preparing \d+ ms, dump \d+ ms, files \d+ ms, seal and flush \d+ ms, commit \d+ ms, clean-up \d+ ms; "
            + @"streamed pages-\d+\.img [\d.]+ [KM]iB: waited \d+ ms for CRIU, \d+ ms for crik; crik's CPU \d+ ms$", committed);

        // From CRIU's stream, whose stage the line names (Restoring/FilledRestoreTests checks the line of a restore on crik's fill).
        using CrikRun second = pods.StartWith(Restoring.FilledRestoreTests.WithoutUserfault, "sh", "-c", Pods.Counter());
        string restored = second.WaitForLine("Restored checkpoint 1", stderr: true);
        Assert.Matches(@"Stages: lock \d+ ms, choosing \d+ ms, record \d+ ms, files \d+ ms, "
            + @"(kernel probes \d+ ms, )?criu \(streamed pages-\d+\.img [\d.]+ [KM]iB: waited \d+ ms for CRIU, \d+ ms for crik\) \d+ ms, log \d+ ms; crik's CPU \d+ ms$", restored);
    }
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>A tree whose images outnumber the descriptors crik may open at once still commits and restores.</summary>
public class ManyProcessesTests
{
    private const string Tree = "for i in $(seq 100); do sleep 1000 & done; echo ready; i=0; while :; do echo \"count $i\"; i=$((i+1)); sleep 0.1; done";

    [CriuFact]
    public void ATreeWithMoreImagesThanTheDescriptorLimitIsCheckpointedAndRestored()
    {
        using var pods = new Pods();
        string[] crikArgs = ["run", "--config", pods.ConfigPath, "--", "sh", "-c", Tree];
        using (CrikRun first = CrikRun.Start(crikArgs, shellPrefix: "ulimit -n 400;"))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        int images = Pods.StreamedImages(pods.Manifest()).Count;
        Assert.True(images > 400, $"only {images} images: the test needs more than the descriptor limit");
        using CrikRun second = CrikRun.Start(crikArgs, shellPrefix: "ulimit -n 400;");
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        second.Signal(Native.SIGKILL);
    }
}

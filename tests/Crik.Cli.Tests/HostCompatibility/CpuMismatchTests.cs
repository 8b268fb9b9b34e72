using System.Text.Json.Nodes;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.HostCompatibility;

/// <summary>A checkpoint from a node whose processor had more is not restored here, and is kept for a node that has it.</summary>
public class CpuMismatchTests
{
    [CriuFact]
    public void CheckpointFromANodeWithAMissingFeatureIsKeptAndTheAppStartsFreshUntilAllowed()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 5");
            Pods.CheckpointAndStop(first);
        }
        PretendTakenOnANodeWith(Path.Combine(pods.ImageDir, "checkpoint-000001", "manifest.json"), "avx512_crik_test");

        using (CrikRun second = pods.Start("sh", "-c", Pods.Counter()))
        {
            second.WaitForLine("count 1");
            second.WaitForLine("not restoring checkpoint 1 on this node: this node's processor lacks avx512_crik_test", stderr: true);
            Assert.Equal(0, Pods.Counts(second)[0]);
            Assert.Equal(["checkpoint-000001"], pods.Committed());
            Assert.Empty(pods.SetAside());
            second.Signal(Native.SIGKILL);
        }

        File.AppendAllText(pods.ConfigPath, "onCpuMismatch: restore\n");
        using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
        third.WaitForLine("Restored checkpoint 1", stderr: true);
        Assert.Contains(third.Stderr, l => l.Contains("restoring it all the same (onCpuMismatch: restore)", StringComparison.Ordinal));
        third.WaitForLine(_ => Pods.Counts(third).Count >= 2);
        Assert.True(Pods.Counts(third)[0] > 5, third.Transcript);
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WithOnRestoreFailureFailCrikExits125AndKeepsTheCheckpoint()
    {
        using var pods = new Pods("onRestoreFailure: fail\n");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        PretendTakenOnANodeWith(Path.Combine(pods.ImageDir, "checkpoint-000001", "manifest.json"), "amx_crik_test");
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        Assert.Equal(125, second.WaitForExit());
        Assert.Contains(second.Stderr, l => l.Contains("lacks amx_crik_test", StringComparison.Ordinal));
        Assert.Empty(Pods.Counts(second));
        Assert.Equal(["checkpoint-000001"], pods.Committed());
    }

    /// <summary>Adds a processor feature this machine lacks to the node a checkpoint records.</summary>
    private static void PretendTakenOnANodeWith(string manifestPath, string feature)
    {
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["host"]!["cpuFeatures"]!.AsArray().Add((JsonNode?)JsonValue.Create(feature));
        File.WriteAllText(manifestPath, manifest.ToJsonString());
    }
}

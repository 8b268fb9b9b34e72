using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// crik waits for, signals and checkpoints the restored app by the PID its manifest names. A manifest that names another PID
/// than the root of the tree in its images (changed or damaged) is set aside before CRIU runs, and the app starts fresh.
/// Before, a rootPid of 1 restored the app untracked: crik took itself for the app, and its next checkpoint failed.
/// </summary>
public class ManifestRootTests
{
    [CriuTheory]
    [InlineData(1)]
    [InlineData(77777)]
    public void AManifestThatNamesAnotherProcessThanItsTreesRootIsSetAsideAndTheAppStartsFresh(int namedPid)
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        string manifestPath = Path.Combine(pods.ImageDir, "checkpoint-000001", "manifest.json");
        var manifest = pods.Manifest();
        int root = (int)manifest["rootPid"]!;
        manifest["rootPid"] = namedPid;
        File.WriteAllText(manifestPath, manifest.ToJsonString());

        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        string failed = second.WaitForLine("restoring checkpoint 1 failed", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Contains($"its manifest names PID {namedPid} as the app, but the root of the process tree in its images is PID {root}", failed,
            StringComparison.Ordinal);
        Assert.Contains("the checkpoint is set aside at", failed, StringComparison.Ordinal);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 3, TimeSpan.FromSeconds(60));
        List<int> counts = Pods.Counts(second);
        Assert.Equal(Enumerable.Range(0, counts.Count), counts);
        Assert.Single(pods.SetAside());
        // The fresh app is crik's to checkpoint as any other.
        Pods.CheckpointAndStop(second);
        Assert.Contains("checkpoint-000002", pods.Committed());
    }
}

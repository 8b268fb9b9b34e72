using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// A node with no room for what a restore writes (a full disk, a quota, a read-only file system) says nothing
/// of the checkpoint: it stays where it is, the attempt does not count, and the next pod with room restores it.
/// </summary>
public class NoRoomOnTheNodeTests
{
    [CriuFact]
    public void AFullFileSystemWhereAdditionalPathsGoBackKeepsTheCheckpointForTheNextPod()
    {
        using var pods = new Pods("onRestoreFailure: fail\n");
        string state = Path.Combine(pods.Root, "state");
        File.AppendAllText(pods.ConfigPath, $"additionalPaths:\n  - {state}\n");
        Directory.CreateDirectory(state);
        File.WriteAllBytes(Path.Combine(state, "data.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(1 << 20));
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        Directory.Delete(state, recursive: true);

        // In this pod, the saved file's place is a file system with room for 64 KiB of its 1 MiB.
        using (CrikRun full = pods.StartInside($"mkdir -p {state} && mount -t tmpfs -o size=64k crik-full {state}", new Dictionary<string, string>(), "sh", "-c", Pods.Counter()))
        {
            Assert.Equal(125, full.WaitForExit(TimeSpan.FromSeconds(60)));
            string said = Assert.Single(full.Stderr, l => l.Contains("because this node has no room for what the restore writes", StringComparison.Ordinal));
            Assert.Contains("No space left on device", said, StringComparison.Ordinal);
            Assert.Contains("The checkpoint stays in", said, StringComparison.Ordinal);
            Assert.Empty(Pods.Counts(full));
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.False(Directory.Exists(Path.Combine(pods.ImageDir, "set-aside")));

        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint 1 ", stderr: true);
        next.WaitForLine(_ => Pods.Counts(next).Count >= 2);
        Assert.True(Pods.Counts(next)[0] > 2, next.Transcript); // it goes on from where it was
        Assert.DoesNotContain(next.Stderr, l => l.Contains("Resuming checkpoint 1 again", StringComparison.Ordinal)); // the full pod's attempt did not count
        Assert.Equal(1 << 20, new FileInfo(Path.Combine(state, "data.bin")).Length);
        next.Signal(Native.SIGKILL);
    }
}

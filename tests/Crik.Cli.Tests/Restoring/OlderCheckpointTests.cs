using System.Text.Json.Nodes;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// A checkpoint whose restore fails on its own fault is set aside, and the newest one left (keepCheckpoints keeps the one
/// before) is restored in the same pod: its work is not given up for the newer one's fault. Before, the app started fresh
/// (onRestoreFailure: fresh) while the older checkpoint was whole.
/// </summary>
public class OlderCheckpointTests
{
    [CriuFact]
    public void WhenTheNewestCheckpointFailsToRestoreTheOneBeforeIsRestoredInstead()
    {
        using var pods = new Pods("lazyRestore: off\n");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        int firstLast;
        using (CrikRun second = pods.Start("sh", "-c", Pods.Counter()))
        {
            second.WaitForLine("Restored checkpoint 1", TimeSpan.FromSeconds(60), stderr: true);
            second.WaitForLine(_ => Pods.Counts(second).Count >= 3, TimeSpan.FromSeconds(30));
            firstLast = Pods.Counts(second)[0] - 1;
            Pods.CheckpointAndStop(second);
        }
        Assert.Equal(["checkpoint-000001", "checkpoint-000002"], pods.Committed());
        DamageAChunkOnlyTheNewestHas(pods);

        using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
        string failed = third.WaitForLine("restoring checkpoint 2 failed", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Contains("the checkpoint is set aside at", failed, StringComparison.Ordinal);
        Assert.EndsWith("restoring checkpoint 1, the newest one left, instead", failed, StringComparison.Ordinal);
        third.WaitForLine("Restored checkpoint 1", TimeSpan.FromSeconds(60), stderr: true);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 3, TimeSpan.FromSeconds(30));
        // The app goes on from checkpoint 1, one count after another: not from 0, and not from checkpoint 2.
        List<int> counts = Pods.Counts(third);
        Assert.Equal(firstLast + 1, counts[0]);
        Assert.Equal(Enumerable.Range(counts[0], counts.Count), counts);
        Assert.DoesNotContain(third.Stderr, l => l.Contains("onRestoreFailure", StringComparison.Ordinal));
        Assert.Single(pods.SetAside());
        third.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// The failed checkpoint's saved files were put back before CRIU failed: restored among them, the older app would meet files it
    /// never saw. crik exits 125 instead, and the container's next start (from its image, here with the paths emptied) restores
    /// the older one.
    /// </summary>
    [CriuFact]
    public void WhereTheFailedCheckpointsFilesWerePutBackTheOneBeforeIsRestoredByTheContainersNextStart()
    {
        string state = Directory.CreateTempSubdirectory("crik-older-state-").FullName;
        try
        {
            using var pods = new Pods($"lazyRestore: off\nadditionalPaths: [{state}]\n");
            File.WriteAllText(Path.Combine(state, "a"), "1");
            using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
            {
                first.WaitForLine("count 3");
                Pods.CheckpointAndStop(first);
            }
            int firstLast;
            using (CrikRun second = pods.Start("sh", "-c", Pods.Counter()))
            {
                second.WaitForLine("Restored checkpoint 1", TimeSpan.FromSeconds(60), stderr: true);
                second.WaitForLine(_ => Pods.Counts(second).Count >= 3, TimeSpan.FromSeconds(30));
                firstLast = Pods.Counts(second)[0] - 1;
                File.WriteAllText(Path.Combine(state, "b"), "2");
                Pods.CheckpointAndStop(second);
            }
            DamageAChunkOnlyTheNewestHas(pods);
            Directory.Delete(state, recursive: true);

            using (CrikRun third = pods.Start("sh", "-c", Pods.Counter()))
            {
                Assert.Equal(125, third.WaitForExit(TimeSpan.FromSeconds(60)));
                Assert.Single(third.Stderr, l => l.Contains("restoring checkpoint 2 failed", StringComparison.Ordinal)
                    && l.Contains("Checkpoint 1 is left, but checkpoint 2's saved files are already back at the app's paths", StringComparison.Ordinal));
                Assert.Empty(Pods.Counts(third));
            }
            Assert.True(File.Exists(Path.Combine(state, "b")), "checkpoint 2 put back its files before CRIU failed");
            Directory.Delete(state, recursive: true); // the container's next start: its own files, from its image

            using CrikRun fourth = pods.Start("sh", "-c", Pods.Counter());
            fourth.WaitForLine("Restored checkpoint 1", TimeSpan.FromSeconds(60), stderr: true);
            fourth.WaitForLine(_ => Pods.Counts(fourth).Count >= 3, TimeSpan.FromSeconds(30));
            Assert.Equal(firstLast + 1, Pods.Counts(fourth)[0]);
            Assert.Equal("1", File.ReadAllText(Path.Combine(state, "a")));
            Assert.False(File.Exists(Path.Combine(state, "b")));
            fourth.Signal(Native.SIGKILL);
        }
        finally
        {
            if (Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
    }

    /// <summary>Flips a byte in the middle of a chunk of checkpoint 2's pages that checkpoint 1 does not list, so checkpoint 1 stays whole.</summary>
    private static void DamageAChunkOnlyTheNewestHas(Pods pods)
    {
        static IEnumerable<(long Pack, long Offset, int Length)> PageChunks(JsonNode manifest) =>
            Pods.StreamedImages(manifest).Where(i => i.Key.StartsWith("pages-", StringComparison.Ordinal)).SelectMany(i => i.Value)
                .Select(c => ((long)c!["pack"]!, (long)c["offset"]!, (int)c["length"]!));
        var olders = PageChunks(pods.Manifest("checkpoint-000001")).Select(c => (c.Pack, c.Offset)).ToHashSet();
        (long pack, long offset, int length) = PageChunks(pods.Manifest("checkpoint-000002")).First(c => !olders.Contains((c.Pack, c.Offset)));
        using var file = File.Open(pods.Pack((int)pack), FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset + (length / 2);
        int b = file.ReadByte();
        file.Position--;
        file.WriteByte((byte)(b ^ 0xff));
    }
}

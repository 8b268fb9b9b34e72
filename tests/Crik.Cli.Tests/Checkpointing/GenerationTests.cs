using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>An app survives its pod stopping, as many times as it happens.</summary>
public class GenerationTests
{
    [CriuFact]
    public void CounterContinuesAcrossThreeGenerationsOnTheNewPodsStdout()
    {
        using var pods = new Pods();
        int last = -1;
        for (int pod = 1; pod <= 4; pod++)
        {
            using CrikRun run = pods.Start("sh", "-c", Pods.Counter());
            run.WaitForLine(l => Pods.Counts(run).Count >= 5);
            List<int> counts = Pods.Counts(run);
            Assert.True(counts[0] == last + 1, $"pod {pod} should go on from {last}, printed {string.Join(",", counts)}\n{run.Transcript}");
            Pods.CheckpointAndStop(run);
            last = Pods.Counts(run).Last();
            if (pod > 1)
            {
                Assert.Contains(run.Stderr, l => l.Contains($"Restored checkpoint {pod - 1} ", StringComparison.Ordinal));
            }
        }
        // Restored generations stay committed until keepCheckpoints (2) drops them; nothing was retired.
        Assert.Equal(["checkpoint-000003", "checkpoint-000004"], pods.Committed());
        Assert.False(Directory.Exists(Path.Combine(pods.ImageDir, "retired")));
    }

    /// <summary>keepCheckpoints bounds committed generations, restored or not.</summary>
    [CriuFact]
    public void KeepCheckpointsBoundsCommittedGenerations()
    {
        using var pods = new Pods("keepCheckpoints: 3\n");
        for (int pod = 1; pod <= 4; pod++)
        {
            using CrikRun run = pods.Start("sh", "-c", Pods.Counter());
            run.WaitForLine("count");
            Pods.CheckpointAndStop(run);
        }
        Assert.Equal(["checkpoint-000002", "checkpoint-000003", "checkpoint-000004"], pods.Committed());
    }

    [CriuFact]
    public void ManifestDescribesTheCheckpoint()
    {
        using var pods = new Pods();
        using (CrikRun run = pods.Start("sh", "-c", Pods.Counter()))
        {
            run.WaitForLine("count 2");
            Pods.CheckpointAndStop(run);
        }
        string manifest = File.ReadAllText(Path.Combine(pods.ImageDir, "checkpoint-000001", "manifest.json"));
        using var json = System.Text.Json.JsonDocument.Parse(manifest);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("generation").GetInt64());
        Assert.Equal("sh", root.GetProperty("command")[0].GetString());
        Assert.StartsWith("4.", root.GetProperty("criuVersion").GetString(), StringComparison.Ordinal);
        Assert.True(root.GetProperty("rootPid").GetInt32() >= 9000);
        Assert.True(root.GetProperty("imageBytes").GetInt64() > 0);
        Assert.True(root.GetProperty("dumpSeconds").GetDouble() > 0);
        Assert.Equal(2, root.GetProperty("format").GetInt32());
        Assert.True(root.GetProperty("writtenBytes").GetInt64() > 0);
        // Images are streamed into packs: a page image is a list of chunks, not a file in the directory.
        var pages = root.GetProperty("files").EnumerateArray().Where(f => f.GetProperty("path").GetString()!.StartsWith("pages-", StringComparison.Ordinal))
            .MaxBy(f => f.GetProperty("size").GetInt64());
        var chunk = pages.GetProperty("chunks")[0];
        Assert.Equal(64, chunk.GetProperty("id").GetString()!.Length);
        Assert.Equal(1, chunk.GetProperty("pack").GetInt64());
        Assert.False(File.Exists(Path.Combine(pods.ImageDir, "checkpoint-000001", pages.GetProperty("path").GetString()!)));
        Assert.True(new FileInfo(pods.Pack(1)).Length >= pages.GetProperty("size").GetInt64());
    }

    [CriuFact]
    public void MultiProcessAppComesBackWhole()
    {
        string script = $"sh -c '( {Pods.Counter("grandchild")} ) & {Pods.Counter("child")}' & {Pods.Counter("parent")}";
        string[] labels = ["parent", "child", "grandchild"];
        using var pods = new Pods();
        List<int> before;
        using (CrikRun first = pods.Start("sh", "-c", script))
        {
            first.WaitForLine(_ => Pods.Counts(first, "grandchild").Count >= 3 && Pods.Counts(first, "child").Count >= 3);
            Pods.CheckpointAndStop(first);
            before = labels.Select(label => Pods.Counts(first, label).Last()).ToList();
        }
        using CrikRun second = pods.Start("sh", "-c", script);
        second.WaitForLine(_ => labels.All(label => Pods.Counts(second, label).Count >= 3));
        for (int i = 0; i < labels.Length; i++)
        {
            Assert.True(Pods.Counts(second, labels[i])[0] == before[i] + 1, $"{labels[i]} should continue from {before[i]}\n{second.Transcript}");
        }
        second.Signal(Native.SIGKILL);
    }

    [CriuTheory]
    [InlineData("exit 42", 42)]
    [InlineData("kill -USR1 $$", 128 + Native.SIGUSR1)]
    public void RestoredAppsExitCodeBecomesCriksExitCode(string ending, int expected)
    {
        string script = $"i=0; while [ $i -lt 40 ]; do echo \"count $i\"; i=$((i+1)); sleep 0.1; done; {ending}";
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", script))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        using CrikRun second = pods.Start("sh", "-c", script);
        second.WaitForLine("count 39");
        Assert.Equal(expected, second.WaitForExit());
        Assert.Contains(second.Stderr, l => l.Contains("Restored checkpoint 1", StringComparison.Ordinal));
    }

    [CriuFact]
    public void RestoredAppGetsForwardedSignalsAndItsOrphansAreReaped()
    {
        // On SIGUSR1 the app makes an orphan: after a restore it must still come to crik and be reaped.
        string script = $"trap 'sh -c \"sleep 300 & exit 0\"; echo got-usr1' USR1; {Pods.Counter()}";
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", script))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        using CrikRun second = pods.Start("sh", "-c", script);
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        second.Signal(Native.SIGUSR1);
        second.WaitForLine("got-usr1");
        ProcessTable.AssertReparentedThenReaped(second.CrikPid, "sleep", second.Transcript);
        second.Signal(Native.SIGKILL);
    }
}

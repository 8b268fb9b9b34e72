using System.Text.Json.Nodes;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// The eager restore on crik's own fill: CRIU restores the app lazily and leaves it stopped, crik fills
/// every page, then lets it go. Where userfaultfd is not allowed, the restore goes from CRIU's stream as
/// before. The restore line says which path ran, stage by stage (the benchmark reads it).
/// </summary>
public class FilledRestoreTests
{
    /// <summary>Acts as a node where userfaultfd is not allowed (LazyRestoreSupport).</summary>
    internal static readonly Dictionary<string, string> WithoutUserfault = new() { ["CRIK_TEST_WITHOUT_USERFAULTFD"] = "1" };

    /// <summary>A counter whose child the app stopped with SIGSTOP, and which says the child's PID.</summary>
    private static readonly string[] AppWithStoppedChild =
        ["sh", "-c", "sleep 1000 & c=$!; kill -STOP $c; echo \"child $c\"; " + Pods.Counter()];

    [CriuFact]
    public void AnEagerRestoreRunsOnCriksFillAndTheRestoreLineSaysSoStageByStage()
    {
        using var pods = new Pods("lazyRestore: off\n");
        CheckpointOnce(pods, Pods.Counter());
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        string restored = second.WaitForLine("Restored checkpoint 1", stderr: true);
        // "kernel probes" is there when criu waited for crik's run of CRIU's kernel probes (a busy machine, a new CRIU).
        Assert.Matches(@" s, eagerly, on crik's fill \([\d.]+ (B|KiB|MiB|GiB) filled in by \d+ threads before it ran\): the app runs again as PID ", restored);
        Assert.Matches(@"Stages: lock \d+ ms, choosing \d+ ms, record \d+ ms, files \d+ ms, fill images \d+ ms, (kernel probes \d+ ms, )?criu \d+ ms, fill \d+ ms, log \d+ ms; crik's CPU \d+ ms$", restored);
        AppGoesOn(second);
        Assert.DoesNotContain(second.Stderr, l => l.Contains("memory is all in", StringComparison.Ordinal)); // no lazy load runs on
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WhereUserfaultfdIsNotAllowedTheEagerRestoreGoesFromCriusStreamAndSaysWhy()
    {
        using var pods = new Pods();
        CheckpointOnce(pods, Pods.Counter());
        using CrikRun second = pods.StartWith(WithoutUserfault, "sh", "-c", Pods.Counter());
        string why = second.WaitForLine("not on crik's fill", stderr: true);
        Assert.Contains("restoring it from CRIU's stream, not on crik's fill: CRIK_TEST_WITHOUT_USERFAULTFD=1", why, StringComparison.Ordinal);
        string restored = second.WaitForLine("Restored checkpoint 1", stderr: true);
        Assert.Contains(" s, eagerly, from CRIU's stream: the app runs again", restored, StringComparison.Ordinal);
        Assert.Matches(@"Stages: lock \d+ ms, choosing \d+ ms, record \d+ ms, files \d+ ms, (kernel probes \d+ ms, )?criu \(streamed pages-\d+\.img [\d.]+ [KM]iB: waited \d+ ms for CRIU, "
            + @"\d+ ms for crik\) \d+ ms, log \d+ ms; crik's CPU \d+ ms$", restored);
        AppGoesOn(second);
        second.Signal(Native.SIGKILL);
    }

    [CriuTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void AProcessStoppedAtTheCheckpointStaysStoppedAndTheOthersRun(bool onCriksFill)
    {
        using var pods = new Pods("lazyRestore: off\n");
        CheckpointOnce(pods, AppWithStoppedChild[2]);
        using CrikRun second = onCriksFill ? pods.Start(AppWithStoppedChild) : pods.StartWith(WithoutUserfault, AppWithStoppedChild);
        string restored = second.WaitForLine("Restored checkpoint 1", stderr: true);
        Assert.True(restored.Contains(onCriksFill ? "on crik's fill" : "from CRIU's stream", StringComparison.Ordinal), second.Transcript);
        AppGoesOn(second);
        Thread.Sleep(500); // a SIGCONT sent with the others has surely arrived by now
        // The child the app stopped (a shell stopped before it could exec sleep, or sleep) is the one process stopped.
        List<ProcessTable.Entry> tree = ProcessTable.DescendantsOf(second.CrikPid);
        Assert.True(tree.Count(e => e.State == 'T') == 1, $"{string.Join(", ", tree)}\n{second.Transcript}");
        if (onCriksFill)
        {
            Assert.Contains(second.Stderr, l => l.Contains("1 of its processes were stopped at the checkpoint and stay stopped", StringComparison.Ordinal));
        }
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AChunkTheFillCannotReadKillsTheStoppedAppBeforeItRanAndTheCheckpointIsSetAside()
    {
        string[] app = ["python3", Paths.App("forking-memory.py"), "32"];
        using var pods = new Pods("lazyRestore: off\n");
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("allocated 32", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStopBetweenForks(first);
        }
        // A chunk in the middle of the app's random memory: CRIU leaves it lazy, so crik's fill reads it while the app is stopped.
        JsonArray pages = Pods.StreamedImages(pods.Manifest()).Where(i => i.Key.StartsWith("pages-", StringComparison.Ordinal)).MaxBy(i => i.Value.Count).Value;
        JsonNode chunk = pages[pages.Count / 2]!;
        using (var file = File.Open(pods.Pack((int)(long)chunk["pack"]!), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = (long)chunk["offset"]! + ((int)chunk["length"]! / 2);
            int b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0xff));
        }
        using CrikRun second = pods.Start(app);
        string failed = second.WaitForLine("restoring checkpoint 1 failed", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Contains("its memory could not all be brought in before it ran, so crik killed it stopped", failed, StringComparison.Ordinal);
        Assert.Contains("the checkpoint is set aside at", failed, StringComparison.Ordinal);
        // Nothing of the restored app ran: every line is the fresh app's, counting from 0.
        second.WaitForLine(_ => Pods.Counts(second).Count >= 3, TimeSpan.FromSeconds(60));
        List<int> counts = Pods.Counts(second);
        Assert.Equal(Enumerable.Range(0, counts.Count), counts);
        Assert.DoesNotContain(second.Stderr, l => l.Contains("Restored checkpoint", StringComparison.Ordinal));
        Assert.Single(pods.SetAside());
        second.Signal(Native.SIGKILL);
    }

    private static void CheckpointOnce(Pods pods, string script)
    {
        using CrikRun first = pods.Start("sh", "-c", script);
        first.WaitForLine("count 3");
        Pods.CheckpointAndStop(first);
    }

    /// <summary>The counter goes on from where it was, not from 0, one count after another (one copy runs).</summary>
    private static void AppGoesOn(CrikRun pod)
    {
        pod.WaitForLine(_ => Pods.Counts(pod).Count >= 3);
        List<int> counts = Pods.Counts(pod);
        Assert.True(counts[0] > 0, pod.Transcript);
        Assert.Equal(Enumerable.Range(counts[0], counts.Count), counts);
    }
}

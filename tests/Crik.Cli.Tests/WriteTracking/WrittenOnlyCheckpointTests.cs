using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Records;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>
/// With trackWrites on, each checkpoint after the first has CRIU read only what the app wrote since the previous one, and
/// takes the rest from that one. A chain of such checkpoints restores whole (apps/rewriting-tree-app.c): random rewrites,
/// a new area, an area moved by mremap, pages dropped and unmapped, and a child forked between two checkpoints, each
/// process's memory compared by its digest before the SIGTERM checkpoint and after the restore, lazily and eagerly.
/// </summary>
public sealed class WrittenOnlyCheckpointTests : IDisposable
{
    private readonly TempDirectory _build = new();

    [WrittenOnlyFact]
    public void AChainOfCheckpointsOfWhatTheAppWroteRestoresItsTreeWholeLazily() => ChainRestoresWhole("");

    [WrittenOnlyFact]
    public void AChainOfCheckpointsOfWhatTheAppWroteRestoresItsTreeWholeEagerly() => ChainRestoresWhole("lazyRestore: off\n");

    /// <summary>
    /// The tree changes while crik copies the app's memory, between the copy's scan and its read or between the copy and the
    /// freeze: a new area, one moved by mremap, a child forked, pages dropped and unmapped, each during one of three
    /// checkpoints taken while the app runs (the first copies all of its memory, the others what it wrote). The SIGTERM's
    /// checkpoint after them restores every process's memory whole.
    /// </summary>
    [WrittenOnlyTheory]
    [InlineData("CRIK_TEST_COPY_READ_PAUSE_MS")]
    [InlineData("CRIK_TEST_COPY_FREEZE_PAUSE_MS")]
    public void TheTreeChangingDuringEachCopyRestoresWhole(string pause)
    {
        string app = App();
        using var pods = new Pods("trackWrites: on\n");
        Dictionary<string, string> before;
        using (CrikRun first = pods.StartWith(new Dictionary<string, string> { [pause] = "3000" }, app))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            int[][] roundsDuring = [[1, 2], [3], [4]]; // 1 maps an area; 2 moves it and forks; 3 drops and unmaps pages
            for (int generation = 1; generation <= roundsDuring.Length; generation++)
            {
                int current = generation;
                Task onDemand = Task.Run(() => Pods.CheckpointOnDemand(first, current));
                Pods.WaitForPause(first, pause, generation);
                foreach (int round in roundsDuring[generation - 1])
                {
                    Round(first, round);
                }
                onDemand.GetAwaiter().GetResult();
            }
            Assert.Contains(first.Stderr, l => l.Contains("of the app's memory while it ran, all of it", StringComparison.Ordinal));
            before = Digests(first, 4);
            Pods.CheckpointAndStop(first);
            first.WaitForLine("CRIU read only what the app wrote since checkpoint 3:", stderr: true);
        }
        using CrikRun restored = RestoredWithTheSameDigests(pods, app, 4, before, 4);
        restored.Signal(Native.SIGKILL);
    }

    public void Dispose() => _build.Dispose();

    private void ChainRestoresWhole(string config)
    {
        string app = App();
        using var pods = new Pods("trackWrites: on\n" + config);
        Dictionary<string, string> before;
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Pods.CheckpointOnDemand(first, 1);
            for (int round = 1; round <= 5; round++)
            {
                Round(first, round);
                if (round < 5)
                {
                    Pods.CheckpointOnDemand(first, round + 1);
                }
            }
            before = Digests(first, 5);
            Pods.CheckpointAndStop(first);
            for (int generation = 2; generation <= 6; generation++)
            {
                // Only what was written was read: the rest of the 64 MiB came from the checkpoint before.
                string taken = first.WaitForLine($"CRIU read only what the app wrote since checkpoint {generation - 1}:", stderr: true);
                Match fromPrevious = Regex.Match(taken, @": ([\d.]+) MiB of its memory is taken from");
                Assert.True(fromPrevious.Success && double.Parse(fromPrevious.Groups[1].Value, CultureInfo.InvariantCulture) > 48, taken);
            }
        }
        using CrikRun restored = RestoredWithTheSameDigests(pods, app, 6, before, 5);
        // Each checkpoint after the first lists slices of the chunks before it, by number, packed: a crik that knows only format 4 refuses it.
        Assert.Equal(Manifest.PackedPiecesFormat, (int)pods.Manifest("checkpoint-000006")["format"]!);
        restored.Signal(Native.SIGKILL);
    }

    private string App() => CompiledApp.Build("rewriting-tree-app.c", Path.Combine(_build.Path, "rewriting-tree-app"));

    /// <summary>
    /// A new pod restores checkpoint <paramref name="generation"/>, and each of the two processes says, for its last round
    /// <paramref name="round"/>, the digest it said before (<paramref name="before"/>).
    /// </summary>
    private static CrikRun RestoredWithTheSameDigests(Pods pods, string app, int generation, Dictionary<string, string> before, int round)
    {
        Assert.Equal(2, before.Count);
        CrikRun restored = pods.Start(app);
        try
        {
            restored.WaitForLine($"Restored checkpoint {generation}", stderr: true);
            Native.Signal(AppPid(restored), 12); // SIGUSR2: each process says its digest again
            restored.WaitForLine(_ => Digests(restored, round).Count == 2, TimeSpan.FromSeconds(30));
            Assert.Equal(before, Digests(restored, round));
            return restored;
        }
        catch
        {
            restored.Dispose();
            throw;
        }
    }

    /// <summary>Has the app take round <paramref name="round"/>, and waits for each process's digest of it (a child's from round 2).</summary>
    private static void Round(CrikRun pod, int round)
    {
        Native.Signal(AppPid(pod), 10); // SIGUSR1
        pod.WaitForLine(_ => Digests(pod, round).Count == (round >= 2 ? 2 : 1), TimeSpan.FromSeconds(30));
    }

    /// <summary>The last digest each process said for round <paramref name="round"/>, by process.</summary>
    private static Dictionary<string, string> Digests(CrikRun pod, int round)
    {
        string prefix = "digest ";
        var digests = new Dictionary<string, string>();
        foreach (string line in pod.Stdout.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)))
        {
            string[] parts = line.Split(' ');
            if (parts.Length == 4 && parts[2] == round.ToString(CultureInfo.InvariantCulture))
            {
                digests[parts[1]] = parts[3];
            }
        }
        return digests;
    }

    private static int AppPid(CrikRun pod) => ProcessTable.ChildrenOf(pod.CrikPid).Single().Pid;
}

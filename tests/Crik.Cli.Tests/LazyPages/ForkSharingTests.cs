using System.Globalization;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// lazyRestore and a pre-fork app: memory a parent shared copy-on-write with the workers it forked is
/// shared again after a lazy restore, as after an eager one, so the tree uses about what it used
/// before; a worker that writes to it afterwards copies only what it writes; and every process reads
/// what it had, in a tree three levels deep and in a worker forked while memory is still arriving.
/// </summary>
public class ForkSharingTests
{
    private const int SharedMib = 300;

    [CriuFact]
    public void APreForkTreeRestoredLazilySharesItsMemoryAsAnEagerRestoreDoes()
    {
        using var pods = new Pods("lazyRestore: off\n");
        var app = new PreForkApp(pods, workers: 3, depth: 1, privateMib: 0);
        long before, eager;
        SortedDictionary<string, string> digests;
        using (CrikRun first = app.Start())
        {
            app.WaitUntilReady(first);
            before = ProcessTable.TreePss(first.CrikPid);
            digests = app.Digests(first);
            Pods.CheckpointAndStop(first);
        }
        using (CrikRun second = app.Start())
        {
            Assert.DoesNotContain(", lazily (", second.WaitForLine("Restored checkpoint 1 ", stderr: true), StringComparison.Ordinal);
            Assert.Equal(digests, app.Digests(second));
            eager = ProcessTable.TreePss(second.CrikPid);
            Pods.CheckpointAndStop(second);
        }
        File.WriteAllText(pods.ConfigPath, File.ReadAllText(pods.ConfigPath).Replace("lazyRestore: off", "lazyRestore: on", StringComparison.Ordinal));
        using CrikRun third = app.Start();
        string restored = third.WaitForLine("Restored checkpoint 2 ", stderr: true);
        System.Text.RegularExpressions.Match shared = System.Text.RegularExpressions.Regex.Match(restored, @", lazily \(.*; ([\d.]+) MiB kept shared between its processes \(CRIU's restore statistics\)");
        Assert.True(shared.Success && double.Parse(shared.Groups[1].Value, CultureInfo.InvariantCulture) >= SharedMib * 3 * 0.95, restored);
        third.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Equal(digests, app.Digests(third));
        long lazy = ProcessTable.TreePss(third.CrikPid);
        string figures = $"PSS before {Mib(before)}, eager {Mib(eager)}, lazy {Mib(lazy)}\n{third.Transcript}";
        Assert.True(eager <= before * 1.2, figures); // CRIU's own copy-on-write restore, with the mappings crik cut to match
        Assert.True(lazy <= before * 1.2, figures);
        Assert.True(lazy <= eager * 1.1, figures);

        // worker1 writes to half of the shared memory: only that half is copied, and only its digest changes.
        app.Flip(third);
        long flipped = ProcessTable.TreePss(third.CrikPid);
        SortedDictionary<string, string> afterFlip = app.Digests(third);
        Assert.True(flipped - lazy is > (SharedMib << 20) * 4L / 10 and < (SharedMib << 20) * 6L / 10, $"PSS grew {Mib(flipped - lazy)}\n{figures}");
        Assert.NotEqual(digests["worker1"], afterFlip["worker1"]);
        Assert.Equal(digests.Where(d => d.Key != "worker1"), afterFlip.Where(d => d.Key != "worker1"));
        app.Flip(third);
        Assert.Equal(digests, app.Digests(third));
        Assert.DoesNotContain("late intact no", third.Stdout);
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void ATreeThreeLevelsDeepAndAWorkerForkedWhileMemoryArrivesReadWhatTheyHad()
    {
        using var pods = new Pods("lazyRestore: on\n");
        var app = new PreForkApp(pods, workers: 2, depth: 2, privateMib: 512);
        SortedDictionary<string, string> digests;
        long before;
        using (CrikRun first = app.Start())
        {
            app.WaitUntilReady(first);
            before = ProcessTable.TreePss(first.CrikPid);
            digests = app.Digests(first);
            Pods.CheckpointAndStop(first);
        }
        using CrikRun second = app.Start();
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        // The parent forks a worker the moment it runs again, while its private memory is on its way.
        Assert.Equal("late intact yes", second.WaitForLine(l => l.StartsWith("late intact ", StringComparison.Ordinal), TimeSpan.FromSeconds(60)));
        second.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Equal(digests, app.Digests(second));
        long after = ProcessTable.TreePss(second.CrikPid);
        Assert.True(after <= before * 1.2, $"PSS before {Mib(before)}, after {Mib(after)}\n{second.Transcript}");
        second.Signal(Native.SIGKILL);
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>prefork-memory.py in a pod of <paramref name="pods"/>, and the files the test asks it things with.</summary>
    private sealed class PreForkApp(Pods pods, int workers, int depth, int privateMib)
    {
        private readonly string _control = Directory.CreateDirectory(Path.Combine(pods.Root, "control")).FullName;
        private int _asked;

        private int Processes => 1 + (workers * depth);

        public CrikRun Start() => pods.Start("python3", Paths.App("prefork-memory.py"), SharedMib.ToString(CultureInfo.InvariantCulture),
            workers.ToString(CultureInfo.InvariantCulture), depth.ToString(CultureInfo.InvariantCulture), privateMib.ToString(CultureInfo.InvariantCulture), _control);

        public void WaitUntilReady(CrikRun pod) =>
            pod.WaitForLine(_ => pod.Stdout.Count(l => l.StartsWith("ready ", StringComparison.Ordinal)) == Processes, TimeSpan.FromSeconds(120));

        /// <summary>Each process's digest of its shared memory (and the parent's private memory), by name.</summary>
        public SortedDictionary<string, string> Digests(CrikRun pod)
        {
            string asked = (++_asked).ToString(CultureInfo.InvariantCulture);
            File.WriteAllText(Path.Combine(_control, $"digest-{asked}"), "");
            string prefix = $"digest {asked} ";
            pod.WaitForLine(_ => pod.Stdout.Count(l => l.StartsWith(prefix, StringComparison.Ordinal)) == Processes, TimeSpan.FromSeconds(120));
            return pod.Stdout.Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
                .Select(l => l[prefix.Length..].Split(' ', 2))
                .Aggregate(new SortedDictionary<string, string>(StringComparer.Ordinal), (all, p) => { all.Add(p[0], p[1]); return all; });
        }

        public void Flip(CrikRun pod)
        {
            string asked = (++_asked).ToString(CultureInfo.InvariantCulture);
            File.WriteAllText(Path.Combine(_control, $"flip-{asked}"), "");
            pod.WaitForLine($"flipped {asked}", TimeSpan.FromSeconds(60));
        }
    }
}

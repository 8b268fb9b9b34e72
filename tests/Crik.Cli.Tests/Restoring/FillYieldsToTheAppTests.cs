using System.Diagnostics;
using System.Globalization;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// While a lazily restored app's memory arrives, crik's background fill (its readers ahead and the thread that
/// copies what they read) runs below the app's CPU priority; what the app waits for (its faults, the reader kept
/// for them) does not. On a node short of CPU the app's first requests do not queue behind the fill. A fill the app
/// waits for as a whole (an eager restore on crik's fill) does not yield.
/// </summary>
public class FillYieldsToTheAppTests
{
    private const int Yielding = 10;

    [CriuFact]
    public void TheBackgroundFillRunsBelowTheAppAndWhatTheAppWaitsForDoesNot()
    {
        using var pods = new Pods("lazyRestore: on\n");
        string[] app = ["python3", Paths.App("forking-memory.py"), "64"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStopBetweenForks(first);
        }
        // Each chunk of the fill waits a while: the fill's threads are there to look at.
        using CrikRun second = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_FILL_PACE_MS"] = "50" }, app);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        var waited = Stopwatch.StartNew();
        Dictionary<string, List<int>> nice = NiceByThread(second.CrikPid);
        while (!nice.GetValueOrDefault("crik memory fil", []).Contains(Yielding) && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            Thread.Sleep(20);
            nice = NiceByThread(second.CrikPid);
        }
        string seen = string.Join("; ", nice.Select(t => $"{t.Key}: {string.Join(",", t.Value)}"));
        Assert.True(nice.GetValueOrDefault("crik memory fil", []) is [Yielding], $"the filler: {seen}\n{second.Transcript}");
        Assert.True(nice.GetValueOrDefault("crik chunk read", []) is { Count: > 0 } readers && readers.All(n => n == Yielding), $"the readers ahead: {seen}");
        Assert.True(nice.GetValueOrDefault("crik fault read", []) is [0], $"the app's own reader: {seen}");
        Assert.True(nice.GetValueOrDefault("crik userfaultf", []) is { Count: > 0 } events && events.All(n => n == 0), $"the fault thread: {seen}");
        Assert.Equal(0, Nice(second.CrikPid, second.CrikPid));
        Assert.DoesNotContain("the app's memory is all in", string.Join("\n", second.Stderr), StringComparison.Ordinal);
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AFillBeforeTheAppRunsDoesNotYield()
    {
        using var pods = new Pods("lazyRestore: off\n");
        string[] app = ["python3", Paths.App("forking-memory.py"), "64"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStopBetweenForks(first);
        }
        // The app waits for all its memory: the fill is all there is, and it takes the CPU the pod has.
        using CrikRun second = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_FILL_PACE_MS"] = "50" }, app);
        var waited = Stopwatch.StartNew();
        Dictionary<string, List<int>> nice = NiceByThread(second.CrikPid);
        while (!nice.ContainsKey("crik memory fil") && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(20);
            nice = NiceByThread(second.CrikPid);
        }
        Thread.Sleep(500); // past the point where a lazy restore's filler yields
        nice = NiceByThread(second.CrikPid);
        string seen = string.Join("; ", nice.Select(t => $"{t.Key}: {string.Join(",", t.Value)}"));
        Assert.True(nice.GetValueOrDefault("crik memory fil", []) is [0], $"the filler: {seen}\n{second.Transcript}");
        Assert.True(nice.GetValueOrDefault("crik chunk read", []) is { Count: > 0 } readers && readers.All(n => n == 0), $"the readers: {seen}");
        Assert.Contains(", eagerly, on crik's fill", second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true), StringComparison.Ordinal);
        second.Signal(Native.SIGKILL);
    }

    /// <summary>Each of a process's threads' nice values, by the thread's name as /proc shows it (15 characters at most).</summary>
    private static Dictionary<string, List<int>> NiceByThread(int pid)
    {
        var byName = new Dictionary<string, List<int>>();
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                int tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                (byName.TryGetValue(name, out List<int>? list) ? list : byName[name] = []).Add(Nice(pid, tid));
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }
        return byName;
    }

    /// <summary>A thread's nice value: the 19th field of its stat, counted after the name in parentheses.</summary>
    private static int Nice(int pid, int tid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/task/{tid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture); // field 19 overall; fields[0] here is field 3
    }
}

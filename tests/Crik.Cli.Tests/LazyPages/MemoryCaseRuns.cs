using Crik.Cli.Tests.Restoring;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// How a conformance case runs (apps/memory-cases.c and its kind): the app is checkpointed, restored lazily with its fill
/// paced, so that most of its memory has not arrived when it acts ("changed 1"), and checked there; a checkpoint is taken
/// during that fill, and restored each way crik restores (lazily, on crik's fill, and from CRIU's stream), the app checking
/// every byte after each. An app checks its bytes against what it computes and says "no" where they differ.
/// </summary>
internal sealed class MemoryCaseRuns : IDisposable
{
    public const string AppMib = "128";

    /// <summary>The pause before each chunk the background fill copies, so that most of the memory has not arrived when the app acts.</summary>
    public const int FillPaceMs = 40;

    private static readonly Dictionary<string, string> Slowly = Paced(FillPaceMs);

    /// <summary>Each way a checkpoint is restored: the configuration's lazyRestore and the environment that forces the stream.</summary>
    public static readonly IReadOnlyList<(string LazyRestore, IReadOnlyDictionary<string, string> Environment)> EveryRestore =
    [
        ("on", Slowly),
        ("off", new Dictionary<string, string>()),
        ("off", FilledRestoreTests.WithoutUserfault),
    ];

    private readonly TempDirectory _build = new();

    /// <param name="appSource">The app's C file, under tests' apps.</param>
    public MemoryCaseRuns(string appSource)
    {
        App = CompiledApp.Build(appSource, Path.Combine(_build.Path, Path.GetFileNameWithoutExtension(appSource)), "-pthread");
    }

    /// <summary>The compiled app.</summary>
    public string App { get; }

    /// <summary>The app checkpointed once, then restored lazily with its fill paced, having done what <paramref name="which"/> says ("changed 1").</summary>
    /// <param name="environment">More for the restored crik's environment.</param>
    /// <param name="fillPaceMs">The pause before each chunk the background fill copies (CRIK_TEST_FILL_PACE_MS).</param>
    public CrikRun ChangedWhileArriving(Pods pods, string which, IReadOnlyDictionary<string, string>? environment = null, int fillPaceMs = FillPaceMs)
    {
        using (CrikRun first = pods.Start(App, which, AppMib))
        {
            first.WaitForLine("allocated " + AppMib, TimeSpan.FromSeconds(60));
            first.WaitForLine(_ => Pods.Counts(first).Count >= 2);
            Pods.CheckpointAndStop(first);
        }
        var restored = new Dictionary<string, string>(Paced(fillPaceMs).Concat(environment ?? new Dictionary<string, string>()));
        CrikRun pod = pods.StartWith(restored, App, which, AppMib);
        try
        {
            Assert.Contains(", lazily (", pod.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(90), stderr: true), StringComparison.Ordinal);
            pod.WaitForLine("changed 1", TimeSpan.FromSeconds(90));
            return pod;
        }
        catch
        {
            pod.Dispose();
            throw;
        }
    }

    /// <summary>A SIGTERM with the memory still arriving: the checkpoint takes the pages not yet filled from the checkpoint restored.</summary>
    public static void CheckpointDuringTheFill(CrikRun pod)
    {
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("memory is all in", StringComparison.Ordinal));
        Pods.CheckpointAndStop(pod);
        pod.WaitForLine("not waited for", stderr: true);
        AssertNoFailure(pod);
    }

    /// <summary>
    /// Checkpoint 2 restored each way (<see cref="EveryRestore"/>): lazily with its fill paced (the app's check reads its
    /// memory while it arrives), on crik's fill, and from CRIU's stream; the app says <paramref name="lines"/> and checks
    /// every byte after each.
    /// </summary>
    public void RestoreEachWayAndCheck(Pods pods, string which, params string[] lines)
    {
        foreach ((string lazyRestore, IReadOnlyDictionary<string, string> environment) in EveryRestore)
        {
            UseLazyRestore(pods, lazyRestore);
            using CrikRun pod = pods.StartWith(new Dictionary<string, string>(environment), App, which, AppMib);
            pod.WaitForLine("Restored checkpoint 2 ", TimeSpan.FromSeconds(90), stderr: true);
            pod.WaitForLine("changed 2", TimeSpan.FromSeconds(90));
            AssertSaid(pod, lines);
            AssertIntact(pod);
            pod.Signal(Native.SIGKILL); // no checkpoint: the next pod restores checkpoint 2 again, another way
            pod.WaitForExit(TimeSpan.FromSeconds(30));
        }
    }

    private static Dictionary<string, string> Paced(int pauseMs) => new() { ["CRIK_TEST_FILL_PACE_MS"] = pauseMs.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public static void UseLazyRestore(Pods pods, string value) =>
        File.WriteAllText(pods.ConfigPath, $"imageDir: {pods.ImageDir}\nlazyRestore: {value}\n");

    /// <summary>The app said each of <paramref name="lines"/> ("child zero yes" is the answer to "child zero ").</summary>
    public static void AssertSaid(CrikRun pod, params string[] lines)
    {
        foreach (string line in lines)
        {
            string asked = line[..(line.LastIndexOf(' ') + 1)];
            string said = pod.WaitForLine(l => l.StartsWith(asked, StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            Assert.True(said == line, $"expected \"{line}\", the app said \"{said}\"\n{pod.Transcript}");
        }
        AssertNoFailure(pod);
    }

    /// <summary>The app, asked with SIGUSR1, finds every byte it still has as it computes it.</summary>
    public static void AssertIntact(CrikRun pod)
    {
        int before = pod.Stdout.Count(l => l.StartsWith("intact ", StringComparison.Ordinal));
        pod.Signal(Native.SIGUSR1);
        pod.WaitForLine(_ => pod.Stdout.Count(l => l.StartsWith("intact ", StringComparison.Ordinal)) > before, TimeSpan.FromSeconds(120));
        string said = pod.Stdout.Last(l => l.StartsWith("intact ", StringComparison.Ordinal));
        Assert.True(said == "intact yes", pod.Transcript);
        AssertNoFailure(pod);
    }

    public static void AssertNoFailure(CrikRun pod)
    {
        Assert.DoesNotContain(pod.Stdout, l => l.StartsWith("change failed", StringComparison.Ordinal) || l.EndsWith(" no", StringComparison.Ordinal));
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("nobody looked at it", StringComparison.Ordinal));
    }

    public void Dispose() => _build.Dispose();
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// An app with private and shared MAP_HUGETLB mappings, in one process and across a fork (databases
/// and JVMs set up for huge pages), restores on every path: eagerly on crik's fill, eagerly where
/// userfaultfd is not allowed (CRIU cannot read huge pages from a stream, so from image files), and
/// lazily. Its mappings hold what they held, and the shared one is still shared.
/// </summary>
public sealed class HugetlbRestoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-hugetlb-").FullName;

    [HugePagesTheory]
    [InlineData("on crik's fill", "lazyRestore: off\n", false)]
    [InlineData("from image files", "lazyRestore: off\n", true)]
    [InlineData("lazily", "lazyRestore: on\n", false)]
    public void AnAppWithPrivateAndSharedHugePagesRestoresWholeAndStillShares(string path, string config, bool withoutUserfault)
    {
        using HugePages pages = HugePages.Reserve(16) ?? throw new InvalidOperationException("16 huge pages were reservable a moment ago");
        string[] app = [HugePages.CompileApp(_dir), "2"];
        using var pods = new Pods(config);
        List<string> before;
        int lastSeen;
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("seen 3", TimeSpan.FromSeconds(30));
            before = Digests(first, 0);
            Pods.CheckpointAndStop(first);
            lastSeen = Seen(first, 0)[^1];
            // CRIU checks the flags it reads with its BPF iterator against smaps on areas of its own, and it cannot make a
            // hugetlb area of its own: the app's flags come from smaps, and crik says why.
            Assert.Contains(first.Stderr, l => l.Contains("CRIU read the app's areas' flags from /proc/PID/smaps", StringComparison.Ordinal)
                && l.Contains("not seen on CRIU's own areas", StringComparison.Ordinal));
        }
        Assert.Contains("areas' flags of ", pods.DumpLog(1), StringComparison.Ordinal);
        using CrikRun second = withoutUserfault ? pods.StartWith(FilledRestoreTests.WithoutUserfault, app) : pods.Start(app);
        string restored = second.WaitForLine("Restored checkpoint 1", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Contains($" s, {(path == "lazily" ? path : $"eagerly, {path}")}", restored, StringComparison.Ordinal);
        int from = second.Stdout.Count;
        second.WaitForLine(_ => Digests(second, from).Count == 2 && Seen(second, from).Count >= 5, TimeSpan.FromSeconds(60));
        Assert.Equal(before, Digests(second, from));
        // The child sees what the parent writes into the shared mapping: it went on from the checkpoint, going up.
        // The two processes sleep apart, so the child may read the value it last saw once more before the
        // parent writes the next one: that is the checkpoint's value, not a start from nothing.
        List<int> seen = Seen(second, from);
        List<int> counts = Pods.Counts(second);
        Assert.True(seen[0] >= lastSeen && seen[^1] > seen[0] && counts[0] > lastSeen, second.Transcript);
        second.Signal(Native.SIGKILL);
    }

    /// <summary>The distinct digest lines ("parent private X shared Y", "child ...") printed from line <paramref name="from"/> on.</summary>
    private static List<string> Digests(CrikRun pod, int from) =>
        [.. pod.Stdout.Skip(from).Where(l => l.Contains(" private ", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal)];

    private static List<int> Seen(CrikRun pod, int from) =>
        [.. pod.Stdout.Skip(from).Where(l => l.StartsWith("seen ", StringComparison.Ordinal)).Select(l => int.Parse(l[5..], System.Globalization.CultureInfo.InvariantCulture))];

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// lazyRestore: the restored app runs before its memory has all arrived, and it is the same app:
/// every page it reads is the page it had, in the parent and in children it forks while pages still
/// arrive, across several pods, and no checkpoint records a page that had not arrived.
/// </summary>
public class LazyRestoreTests
{
    private static string[] Forking(int mib) => ["python3", Paths.App("forking-memory.py"), mib.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    [CriuFact]
    public void AnAppRestoredLazilyAcrossThreePodsKeepsEveryPageAndItsForksSeeThemToo()
    {
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun first = pods.Start(Forking(64)))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            first.WaitForLine(_ => Pods.Counts(first).Count >= 2);
            Pods.CheckpointAndStop(first);
        }
        for (int pod = 2; pod <= 3; pod++)
        {
            using CrikRun next = pods.Start(Forking(64));
            string restored = next.WaitForLine($"Restored checkpoint {pod - 1} ", stderr: true);
            Assert.Contains(", lazily (", restored, StringComparison.Ordinal);
            next.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(60), stderr: true);
            int from = next.Stdout.Count;
            next.WaitForLine(_ => next.Stdout.Skip(from).Count(l => l == "child intact yes") >= 2, TimeSpan.FromSeconds(60));
            Assert.DoesNotContain(next.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
            Assert.True(Pods.Counts(next)[0] > 0, next.Transcript);
            Pods.CheckpointAndStop(next);
        }
    }
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// lazyRestore: an app that, the moment it is restored, forks, mremaps and drops with MADV_DONTNEED
/// the memory still arriving last (its highest addresses) keeps every page: the child it forks sees
/// what it had, the moved memory is the same at its new address, the dropped memory reads as zeros
/// and not as the pages that were on their way, and the next checkpoint and restore keep all of it.
/// </summary>
public class ChurningWhileLoadingTests
{
    private static readonly string[] Churning = ["python3", Paths.App("churning-memory.py"), "512"];

    [CriuFact]
    public void AnAppThatForksRemapsAndDropsMemoryWhileItArrivesKeepsEveryPage()
    {
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun first = pods.Start(Churning))
        {
            first.WaitForLine("allocated 512", TimeSpan.FromSeconds(90));
            first.WaitForLine(_ => Pods.Counts(first).Count >= 2);
            Pods.CheckpointAndStop(first);
        }
        using (CrikRun second = pods.Start(Churning))
        {
            string restored = second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            Assert.Contains(", lazily (", restored, StringComparison.Ordinal);
            second.WaitForLine(l => l == "churned", TimeSpan.FromSeconds(60));
            // The checks after the burst read every region, the moved one at its new address, in the app and in a child.
            second.WaitForLine(_ => AfterTheChurn(second).Contains("intact yes") && AfterTheChurn(second).Contains("child intact yes"), TimeSpan.FromSeconds(60));
            // The child forked at once reads memory that had not arrived when it was forked: without its own userfaultfd served it would die of zeros.
            second.WaitForLine(l => l == "churn child intact yes", TimeSpan.FromSeconds(60));
            foreach (string line in new[] { "remapped intact yes", "removed zero yes", "half removed zero yes" })
            {
                Assert.True(second.Stdout.Contains(line), $"the app should print \"{line}\"\n{second.Transcript}");
            }
            NothingWentWrong(second);
            second.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(60), stderr: true);
            Pods.CheckpointAndStop(second);
        }
        // Checkpoint 2 holds region 14 where it moved to and the bytes that replaced the dropped ones.
        using CrikRun third = pods.Start(Churning);
        third.WaitForLine("Restored checkpoint 2 ", stderr: true);
        third.WaitForLine(l => l == "churned", TimeSpan.FromSeconds(60));
        third.WaitForLine(l => l == "churn child intact yes", TimeSpan.FromSeconds(60));
        third.WaitForLine(_ => AfterTheChurn(third).Contains("intact yes"), TimeSpan.FromSeconds(60));
        NothingWentWrong(third);
        third.Signal(Native.SIGKILL);
    }

    /// <summary>The lines the app printed after its first churn burst ("churned").</summary>
    private static List<string> AfterTheChurn(CrikRun run) => run.Stdout.SkipWhile(l => l != "churned").Skip(1).ToList();

    /// <summary>No check failed ("... no") and every call of the churn burst succeeded.</summary>
    private static void NothingWentWrong(CrikRun run) =>
        Assert.False(run.Stdout.Any(l => l.EndsWith(" no", StringComparison.Ordinal) || l.StartsWith("churn failed", StringComparison.Ordinal)), run.Transcript);
}

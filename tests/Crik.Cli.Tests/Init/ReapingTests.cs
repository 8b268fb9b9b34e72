using Crik.Cli.Tests.Support;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>Orphaned grandchildren are re-parented to crik and reaped: no zombie is left.</summary>
public class ReapingTests
{
    // The app's child starts a short-lived grandchild and exits at once, so the grandchild is
    // orphaned, re-parented to crik, and becomes crik's zombie unless crik reaps it.
    private const string OrphanMaker =
        "for i in 1 2 3 4 5; do sh -c 'sleep 0.1 & exit 0'; done; echo orphans-made; sleep 1.5; echo done; sleep 60";

    [NamespaceFact]
    public void Pid1CrikReapsOrphanedGrandchildren() => AssertNoZombiesUnderCrik(asPid1: true);

    [Fact]
    public void NotAsPid1CrikBecomesASubreaperAndReapsOrphans() => AssertNoZombiesUnderCrik(asPid1: false);

    private static void AssertNoZombiesUnderCrik(bool asPid1)
    {
        using var run = CrikRun.Start(["run", "--", "sh", "-c", OrphanMaker], asPid1);
        run.WaitForLine("orphans-made");
        int crik = run.CrikPid;
        // The orphans must have come to crik (proving re-parenting), and must all be gone by "done".
        run.WaitForLine("done");
        var zombies = ProcessTable.ChildrenOf(crik).Where(p => p.State == 'Z').ToList();
        Assert.True(zombies.Count == 0, $"zombies under crik: {string.Join(", ", zombies)}\n{run.Transcript}");
        run.Signal(Native.SIGTERM);
        Assert.Equal(128 + Native.SIGTERM, run.WaitForExit());
    }
}

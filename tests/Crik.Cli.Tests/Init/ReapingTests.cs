using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>Orphaned grandchildren are re-parented to crik and reaped: no zombie is left.</summary>
public class ReapingTests
{
    // The app's child starts a grandchild and exits at once, so the grandchild is orphaned: it must be
    // re-parented to crik (PID 1, or a subreaper when crik is not PID 1) and reaped when it is killed.
    private const string OrphanMaker = "sh -c 'sleep 300 & exit 0'; echo orphan-made; sleep 60";

    [NamespaceFact]
    public void Pid1CrikReapsOrphanedGrandchildren() => AssertOrphanComesToCrikAndIsReaped(asPid1: true);

    [Fact]
    public void NotAsPid1CrikBecomesASubreaperAndReapsOrphans() => AssertOrphanComesToCrikAndIsReaped(asPid1: false);

    private static void AssertOrphanComesToCrikAndIsReaped(bool asPid1)
    {
        using var run = CrikRun.Start(["run", "--", "sh", "-c", OrphanMaker], asPid1);
        run.WaitForLine("orphan-made");
        ProcessTable.AssertReparentedThenReaped(run.CrikPid, "sleep", run.Transcript);
        run.Signal(Native.SIGTERM);
        Assert.Equal(128 + Native.SIGTERM, run.WaitForExit());
    }
}

using Crik.Cli.WriteTracking;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>What write tracking decides without a process to track: the seccomp verdict, and the tracking once let go of.</summary>
[Trait("Category", "Unit")]
public sealed class WriteTrackingPolicyTests
{
    [Theory]
    [InlineData(0, -1, -1, null)]
    [InlineData(1, -1, 0, "strict mode")]
    [InlineData(2, -1, 1, "does not say how many")]
    [InlineData(2, 1, 1, null)]
    [InlineData(2, 2, 1, "installed seccomp filters of its own (2 against crik's 1)")]
    public void OnlyAProcessWhoseSeccompMayKillItIsNotMadeToCallUserfaultfd(int mode, int filters, int crikFilters, string? why)
    {
        string? risk = SeccompRisk.Judge(42, mode, filters, crikFilters);
        if (why is null)
        {
            Assert.Null(risk);
        }
        else
        {
            Assert.Contains(why, risk, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TrackingLetGoOfCountsEveryProcessUntrackedAndArmsNone()
    {
        var writes = new AppWrites(Serilog.Core.Logger.None);
        writes.Dispose();

        WrittenSinceCommit taken = writes.Take([Environment.ProcessId]);

        Assert.Equal(new WrittenSinceCommit(0, 1, 1), taken);
        Assert.Null(writes.ProtectedAt);
        writes.Dispose(); // twice: nothing left to let go of
    }
}

using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>Where the PID counter goes before a restore: past the app's IDs, and never where it would soon wrap among them.</summary>
[Trait("Category", "Unit")]
public sealed class PidCounterPlacementTests
{
    private const int PidMax = 4194304, FirstAppPid = 9000;

    [Fact]
    public void WithRoomAboveTheCounterGoesPastTheHighestAndPastTheFirstAppPid()
    {
        Assert.Equal(9102, PidCounterPlacement.Last([9001, 9050, 9102], FirstAppPid, PidMax));
        Assert.Equal(8999, PidCounterPlacement.Last([61, 70], FirstAppPid, PidMax));
        Assert.Equal(8999, PidCounterPlacement.Last([], FirstAppPid, PidMax));
    }

    [Fact]
    public void AfterAWrapTheCounterGoesWhereTheAppNeedsNoIdsNotToTheIdsAfterTheWrap()
    {
        int[] ids = [4194299, 4194300, 4194303, 300, 301, 313, 314];
        // Past 4194303 the counter would wrap to 300, which the app needs: above 9000, below the app's highest, nothing is needed.
        Assert.Equal(8999, PidCounterPlacement.Last(ids, FirstAppPid, PidMax));
    }

    [Fact]
    public void AfterAWrapWithIdsAboveTheFirstAppPidTheCounterGoesToTheLongestFreeRun()
    {
        int[] ids = [4194299, 4194303, 300, 314, 9001, 9500, 2000000];
        Assert.Equal(2000000, PidCounterPlacement.Last(ids, FirstAppPid, PidMax)); // 2000000 to 4194299 is longer than 9500 to 2000000
    }

    [Fact]
    public void IdsCloseBelowPidMaxWithoutAWrapLetTheCounterWrapToTheFreeIdsFrom300()
    {
        Assert.Equal(4194303, PidCounterPlacement.Last([4194299, 4194303], FirstAppPid, PidMax));
    }

    [Fact]
    public void ASmallPidMaxIsHandledTheSameWay()
    {
        // pid_max 32768: every placement is within Headroom of it; the longest free run is from 320 to 32760, and 9000 is early in it.
        Assert.Equal(8999, PidCounterPlacement.Last([32760, 32767, 300, 320], FirstAppPid, 32768));
        Assert.Equal(320, PidCounterPlacement.Last([32760, 32767, 300, 320], 30000, 32768));
    }
}

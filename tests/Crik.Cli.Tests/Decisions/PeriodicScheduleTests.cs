using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

[Trait("Category", "Unit")]
public sealed class PeriodicScheduleTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(0, 10_000)]
    [InlineData(300, 9_700)]
    [InlineData(9_999, 1)]
    public void ACheckpointShorterThanTheIntervalIsFollowedAnIntervalAfterItBegan(int tookMs, int waitMs) =>
        Assert.Equal((TimeSpan.FromMilliseconds(waitMs), false), PeriodicSchedule.Next(Interval, TimeSpan.FromMilliseconds(tookMs)));

    [Theory]
    [InlineData(10_000)]
    [InlineData(10_001)]
    [InlineData(600_000)]
    public void ACheckpointAsLongAsTheIntervalOrLongerStretchesIt(int tookMs) =>
        Assert.Equal((Interval, true), PeriodicSchedule.Next(Interval, TimeSpan.FromMilliseconds(tookMs)));
}

using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>onStoreUnavailable: what crik does when it cannot tell whether a checkpoint exists.</summary>
[Trait("Category", "Unit")]
public sealed class StoreUnavailableRuleTests
{
    [Fact]
    public void ByDefaultNothingStartsWhileLockWaitHasTimeLeftTheLookupIsTriedAgain() =>
        Assert.Equal(WhenUnsure.LookAgain, StoreUnavailable.Decide(CrikConfig.Default.OnStoreUnavailable, TimeSpan.FromSeconds(1)));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ByDefaultNothingStartsOnceLockWaitHasPassed(int secondsLeft) =>
        Assert.Equal(WhenUnsure.StartNothing, StoreUnavailable.Decide(StoreUnavailablePolicy.Wait, TimeSpan.FromSeconds(secondsLeft)));

    [Fact]
    public void ByDefaultNothingStartsOnceTheLookupIsOver() =>
        Assert.Equal(WhenUnsure.StartNothing, StoreUnavailable.Decide(StoreUnavailablePolicy.Wait, StoreUnavailable.LookupOver));

    [Theory]
    [InlineData(10)]
    [InlineData(0)]
    public void WithStartTheAppStartsFreshAtOnceWithoutWaiting(int secondsLeft) =>
        Assert.Equal(WhenUnsure.StartFresh, StoreUnavailable.Decide(StoreUnavailablePolicy.Start, TimeSpan.FromSeconds(secondsLeft)));
}

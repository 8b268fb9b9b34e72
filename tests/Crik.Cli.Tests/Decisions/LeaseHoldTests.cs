using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

[Trait("Category", "Unit")]
public class LeaseHoldTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DoubtLimit = TimeSpan.FromMinutes(15);

    [Theory]
    [InlineData(0, "Held", 18.0)]
    [InlineData(17.9, "Held", 0.1)]
    [InlineData(18, "Endangered", 6.0)] // three fifths: two renewals failed
    [InlineData(24, "Fenced", 876.0)] // four fifths: a write may land after another crik took it over
    [InlineData(899.9, "Fenced", 0.1)]
    [InlineData(900, "Lost", null)] // in doubt for the limit
    public void ALeaseUnrenewedForLongerIsEndangeredThenFencedThenLostAndSaysWhenItChangesNext(double unrenewed, string state, double? next)
    {
        LeaseSeen seen = Seen(unrenewed);
        Assert.Equal(Enum.Parse<HoldState>(state), LeaseHold.Of(seen));
        Assert.Equal(next, LeaseHold.UntilChange(seen)?.TotalSeconds is { } s ? Math.Round(s, 3) : null);
    }

    [Fact]
    public void AnAnswerThatTheLeaseIsAnothersLosesItAtOnceAndForGood()
    {
        Assert.Equal(HoldState.Lost, LeaseHold.Of(Seen(0) with { AnsweredLost = true }));
        Assert.Null(LeaseHold.UntilChange(Seen(0) with { AnsweredLost = true }));
    }

    [Fact]
    public void AReleasedLeaseNeverTimesOut()
    {
        Assert.Equal(HoldState.Held, LeaseHold.Of(Seen(10_000) with { Released = true }));
        Assert.Null(LeaseHold.UntilChange(Seen(0) with { Released = true }));
    }

    [Theory]
    [InlineData("Held", true, false)]
    [InlineData("Endangered", true, true)]
    [InlineData("Fenced", false, true)]
    [InlineData("Lost", false, false)]
    public void WritesGoOnlyWhileNoOtherCrikCanHaveTheLeaseAndTheAppIsFrozenOnlyWhileItIsInDoubt(string state, bool writes, bool frozen)
    {
        Assert.Equal(writes, LeaseHold.AllowsWrites(Enum.Parse<HoldState>(state)));
        Assert.Equal(frozen, LeaseHold.FreezesTheApp(Enum.Parse<HoldState>(state)));
    }

    private static LeaseSeen Seen(double unrenewedSeconds) => new(false, false, TimeSpan.FromSeconds(unrenewedSeconds), Lifetime, DoubtLimit);
}

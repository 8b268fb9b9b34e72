using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>
/// When a checkpoint takes a lazily restored app's memory as it is instead of waiting for it (<see cref="MemoryArriving.WhyWait"/>),
/// and what it makes of each process crik still fills (<see cref="MemoryArriving.Judge"/>).
/// </summary>
[Trait("Category", "Unit")]
public sealed class MemoryAsItIsTests
{
    private static readonly UnfilledVerdict[] Takeable = [UnfilledVerdict.Taken, UnfilledVerdict.NothingToTake];

    [Theory]
    [InlineData((int)CheckpointReason.Sigterm)]
    [InlineData((int)CheckpointReason.AtRisk)]
    [InlineData((int)CheckpointReason.OnDemand)]
    [InlineData((int)CheckpointReason.OnDemandExit)]
    public void ACheckpointTakesTheMemoryAsItIsWhenNothingStandsInTheWay(int reason) =>
        Assert.Null(MemoryArriving.WhyWait((CheckpointReason)reason, onTopOfPreDumps: false, Takeable));

    [Theory]
    [InlineData((int)CheckpointReason.Periodic, false, 0, 0, "periodic")]
    [InlineData((int)CheckpointReason.Sigterm, true, 0, 0, "pre-dumps")]
    [InlineData((int)CheckpointReason.Sigterm, false, 2, 0, "2 processes forked since the restore")]
    [InlineData((int)CheckpointReason.Sigterm, false, 0, 1, "cannot tell whether 1 of the processes")]
    public void OtherwiseItWaitsAsBeforeAndSaysWhy(int reason, bool onTopOfPreDumps, int forkedMissing, int unknown, string why)
    {
        UnfilledVerdict[] processes = [.. Takeable, .. Enumerable.Repeat(UnfilledVerdict.ForkedSinceRestore, forkedMissing),
            .. Enumerable.Repeat(UnfilledVerdict.Unknown, unknown)];
        Assert.Contains(why, MemoryArriving.WhyWait((CheckpointReason)reason, onTopOfPreDumps, processes), StringComparison.Ordinal);
    }

    [Theory]
    // missesPages, forked, startKnown, memoryItsOwn (0 no, 1 yes, 2 cannot tell)
    [InlineData(false, true, false, 2, (int)UnfilledVerdict.NothingToTake)] // nothing missing: nothing else matters
    [InlineData(true, true, false, 0, (int)UnfilledVerdict.NothingToTake)] // gone, or runs another program
    [InlineData(true, false, true, 0, (int)UnfilledVerdict.NothingToTake)]
    [InlineData(true, false, true, 1, (int)UnfilledVerdict.Taken)]
    [InlineData(true, true, false, 1, (int)UnfilledVerdict.ForkedSinceRestore)]
    [InlineData(true, true, false, 2, (int)UnfilledVerdict.ForkedSinceRestore)]
    [InlineData(true, false, false, 1, (int)UnfilledVerdict.Unknown)] // its start was not read: a later process may have its PID
    [InlineData(true, false, true, 2, (int)UnfilledVerdict.Unknown)] // the kernel did not say
    public void AProcessIsTakenOnlyWhenCrikKnowsItIsTheOneItRestored(bool missesPages, bool forked, bool startKnown, int memoryItsOwn, int expected)
    {
        var verdict = (UnfilledVerdict)expected;
        bool? its = memoryItsOwn switch { 0 => false, 1 => true, _ => null };
        Assert.Equal(verdict, MemoryArriving.Judge(missesPages, forked, startKnown, its));
        Assert.Equal(verdict is UnfilledVerdict.ForkedSinceRestore or UnfilledVerdict.Unknown, MemoryArriving.WhyNotTaken(verdict, 42)?.Contains("42", StringComparison.Ordinal) == true);
    }
}

using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>
/// When a checkpoint that took a lazily restored app's memory as it is, and whose dump could not be made whole after
/// all, drops that dump, waits for the memory and dumps again, or fails (<see cref="MemoryArriving.WhyNotDumpAgain"/>).
/// </summary>
[Trait("Category", "Unit")]
public sealed class DumpAgainTests
{
    [Theory]
    [InlineData((int)CheckpointReason.Sigterm)]
    [InlineData((int)CheckpointReason.AtRisk)]
    [InlineData((int)CheckpointReason.OnDemand)]
    [InlineData((int)CheckpointReason.OnDemandExit)]
    public void ACheckpointDumpsAgainWhenHalfTheBudgetLeftHoldsASecondDump(int reason) =>
        Assert.Null(MemoryArriving.WhyNotDumpAgain((CheckpointReason)reason, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(9.9)));

    [Fact]
    public void APeriodicCheckpointIsNotTakenWhileMemoryArrives() =>
        Assert.Contains("periodic", MemoryArriving.WhyNotDumpAgain(CheckpointReason.Periodic, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1)),
            StringComparison.Ordinal);

    [Theory]
    [InlineData(20.0, 10.0, "the 20 s left of checkpointBudget", "the 10 s one dropped")]
    [InlineData(3.0, 2.5, "the 3 s left", "2.5 s")]
    [InlineData(0.0, 0.0, "the 0 s left", "0 s")]
    public void ItFailsAndSaysWhyWhenTheBudgetLeftCannotHoldTheWaitAndASecondDump(double leftSeconds, double droppedSeconds, string left, string dropped)
    {
        string? why = MemoryArriving.WhyNotDumpAgain(CheckpointReason.Sigterm, TimeSpan.FromSeconds(leftSeconds), TimeSpan.FromSeconds(droppedSeconds));
        Assert.Contains(left, why, StringComparison.Ordinal);
        Assert.Contains(dropped, why, StringComparison.Ordinal);
    }
}

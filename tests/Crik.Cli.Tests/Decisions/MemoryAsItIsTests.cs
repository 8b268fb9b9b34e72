using Crik.Cli.Decisions;
using Crik.Cli.Model;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>When a checkpoint takes a lazily restored app's memory as it is instead of waiting for it (<see cref="MemoryArriving.WhyWait"/>).</summary>
[Trait("Category", "Unit")]
public sealed class MemoryAsItIsTests
{
    [Theory]
    [InlineData((int)CheckpointReason.Sigterm)]
    [InlineData((int)CheckpointReason.AtRisk)]
    [InlineData((int)CheckpointReason.OnDemand)]
    [InlineData((int)CheckpointReason.OnDemandExit)]
    public void ACheckpointTakesTheMemoryAsItIsWhenNothingStandsInTheWay(int reason) =>
        Assert.Null(MemoryArriving.WhyWait((CheckpointReason)reason, onTopOfPreDumps: false, forkedMissing: 0, unknownStarts: 0));

    [Theory]
    [InlineData((int)CheckpointReason.Periodic, false, 0, 0, "periodic")]
    [InlineData((int)CheckpointReason.Sigterm, true, 0, 0, "pre-dumps")]
    [InlineData((int)CheckpointReason.Sigterm, false, 2, 0, "2 processes forked since the restore")]
    [InlineData((int)CheckpointReason.Sigterm, false, 0, 1, "cannot tell whether 1 of the processes")]
    public void OtherwiseItWaitsAsBeforeAndSaysWhy(int reason, bool onTopOfPreDumps, int forkedMissing, int unknownStarts, string why) =>
        Assert.Contains(why, MemoryArriving.WhyWait((CheckpointReason)reason, onTopOfPreDumps, forkedMissing, unknownStarts), StringComparison.Ordinal);
}

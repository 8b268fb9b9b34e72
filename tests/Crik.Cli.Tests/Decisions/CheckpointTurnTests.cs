using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>When a checkpoint or pre-dump waits, skips or falls back, and when crik asks the node-state server.</summary>
[Trait("Category", "Unit")]
public sealed class CheckpointTurnTests
{
    [Fact]
    public void APeriodicCheckpointIsNotTakenWhileMemoryArrives() =>
        Assert.Null(MemoryArriving.CheckpointWaits(CheckpointReason.Periodic, TimeSpan.FromSeconds(30)));

    [Theory]
    [InlineData((int)CheckpointReason.Sigterm)]
    [InlineData((int)CheckpointReason.AtRisk)]
    [InlineData((int)CheckpointReason.OnDemand)]
    [InlineData((int)CheckpointReason.OnDemandExit)]
    public void AnyOtherCheckpointWaitsHalfOfTheBudgetLeft(int reason) =>
        Assert.Equal(TimeSpan.FromSeconds(15), MemoryArriving.CheckpointWaits((CheckpointReason)reason, TimeSpan.FromSeconds(30)));

    [Fact]
    public void ASpentBudgetLeavesNoWait() =>
        Assert.Equal(TimeSpan.Zero, MemoryArriving.CheckpointWaits(CheckpointReason.Sigterm, TimeSpan.Zero));

    [Theory]
    [InlineData(false, false, (int)PreDumpTurn.Runs)]
    [InlineData(true, false, (int)PreDumpTurn.SkippedWhileMemoryArrives)]
    [InlineData(false, true, (int)PreDumpTurn.SkippedWhileFrozen)]
    [InlineData(true, true, (int)PreDumpTurn.SkippedWhileMemoryArrives)]
    public void APreDumpRunsOnlyWhenTheMemoryIsInAndTheAppIsNotFrozen(bool memoryArriving, bool frozen, int expected) =>
        Assert.Equal((PreDumpTurn)expected, PreDumpTurns.Of(memoryArriving, frozen));

    [Theory]
    [InlineData((int)CheckpointReason.Sigterm, true, true)]
    [InlineData((int)CheckpointReason.Sigterm, false, false)]
    [InlineData((int)CheckpointReason.Periodic, true, false)]
    [InlineData((int)CheckpointReason.AtRisk, true, false)]
    [InlineData((int)CheckpointReason.OnDemand, true, false)]
    [InlineData((int)CheckpointReason.OnDemandExit, true, false)]
    public void OnlyASigtermAsksTheNodeStateServerBeforeItsCheckpoint(int reason, bool serverConfigured, bool asks) =>
        Assert.Equal(asks, NodeStateQuestions.AskedBeforeCheckpoint((CheckpointReason)reason, serverConfigured));

    [Fact]
    public void EarlyWarningsArePolledOnlyWithPeriodicCheckpointsAndAServer()
    {
        Assert.True(NodeStateQuestions.PolledForEarlyWarnings(serverConfigured: true, TimeSpan.FromMinutes(5)));
        Assert.False(NodeStateQuestions.PolledForEarlyWarnings(serverConfigured: true, checkpointInterval: null));
        Assert.False(NodeStateQuestions.PolledForEarlyWarnings(serverConfigured: false, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void ADumpOnPreDumpsThatCriuFailedOnItsOwnIsStreamedAgain() =>
        Assert.True(DumpFallback.StreamsAfter(onTopOfPreDumps: true, dumpSucceeded: false, criuExited: true, budgetSpent: false));

    [Theory]
    [InlineData(false, false, true, false)]
    [InlineData(true, true, true, false)]
    [InlineData(true, false, false, false)]
    [InlineData(true, false, true, true)]
    public void NoOtherDumpIsTriedAgain(bool onTopOfPreDumps, bool succeeded, bool criuExited, bool budgetSpent) =>
        Assert.False(DumpFallback.StreamsAfter(onTopOfPreDumps, succeeded, criuExited, budgetSpent));
}

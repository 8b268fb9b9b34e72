using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>When an ended app retires its checkpoints, and what an ambiguous commit means.</summary>
[Trait("Category", "Unit")]
public sealed class RetirementAndCommitTests
{
    private static readonly AppEnd OwnEnd = new(true, "exited with code 0");
    private static readonly AppEnd Killed = new(false, "was killed by SIGKILL");

    [Fact]
    public void OnlyAnAppThatEndedOnItsOwnAfterACheckpointRetires()
    {
        Assert.True(Retirement.Retires(OwnEnd, restoredOrCheckpointed: true, checkpointFailedAtSigterm: false));
        Assert.False(Retirement.Retires(Killed, restoredOrCheckpointed: true, checkpointFailedAtSigterm: false));
        Assert.False(Retirement.Retires(OwnEnd, restoredOrCheckpointed: false, checkpointFailedAtSigterm: false));
    }

    [Fact]
    public void AnEndAfterASigtermWhoseCheckpointFailedKeepsTheOneBefore() =>
        Assert.False(Retirement.Retires(OwnEnd, restoredOrCheckpointed: true, checkpointFailedAtSigterm: true));

    [Theory]
    [InlineData(false, true, "Committed")]
    [InlineData(true, true, "Committed")]
    [InlineData(true, false, "NotCommitted")]
    [InlineData(false, false, "Superseded")]
    [InlineData(true, null, "AssumedCommitted")]
    [InlineData(false, null, "AssumedCommitted")]
    public void AnAmbiguousCommitIsReadBack(bool requestFailed, bool? storedIsOurs, string meaning) =>
        Assert.Equal(meaning, CommitAnswer.Of(requestFailed, storedIsOurs).ToString());
}

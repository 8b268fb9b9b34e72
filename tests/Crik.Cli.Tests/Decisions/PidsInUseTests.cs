using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>A generation whose IDs are held in this container cannot be restored here, and whoever holds them says so.</summary>
[Trait("Category", "Unit")]
public sealed class PidsInUseTests
{
    [Fact]
    public void FreeIdsRestore() => Assert.Null(PidsInUse.Why([], []));

    [Fact]
    public void IdsOtherProcessesHoldAreNamed() =>
        Assert.Equal($"{PidsInUse.Held} by other processes in this container (PIDs 7, 9)", PidsInUse.Why([], [7, 9]));

    [Fact]
    public void IdsCriksOwnThreadsHoldAreNamedAsCriks()
    {
        string why = PidsInUse.Why([42], [])!;
        Assert.StartsWith($"{PidsInUse.Held} by crik's own threads (IDs 42)", why, StringComparison.Ordinal);
        Assert.Contains($"(PIDs 63)", PidsInUse.Why([42], [63]), StringComparison.Ordinal);
    }
}

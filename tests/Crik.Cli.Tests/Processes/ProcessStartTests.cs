using Crik.Cli.Processes;
using Xunit;

namespace Crik.Cli.Tests.Processes;

/// <summary>A process's start, from /proc/PID/stat (<see cref="ProcessStart"/>): the one parser crik has of it.</summary>
[Trait("Category", "Unit")]
public sealed class ProcessStartTests
{
    [Fact]
    public void TheStartIsField22CountedAfterTheCommandsName()
    {
        // A command's name may hold spaces and parentheses: the fields start after the last ')'.
        const string Stat = "4242 (a) (b c) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 2 0 0 20 0 1 0 987654 1234567 300 18446744073709551615 1 1 0 0 0 0 0 0 0\n";
        Assert.Equal("987654", ProcessStart.InStat(Stat));
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 (cut short")]
    [InlineData("4242 (x)")]
    [InlineData("4242 (x) S 1 2 3")]
    public void AStatLineWithoutIsNoStart(string stat) => Assert.Equal("", ProcessStart.InStat(stat));

    [Fact]
    public void CriksOwnStartIsReadAndAGoneProcessHasNone()
    {
        Assert.Matches("^[0-9]+$", ProcessStart.OfSelf());
        Assert.Equal(ProcessStart.OfSelf(), ProcessStart.Of(Environment.ProcessId));
        Assert.Equal("", ProcessStart.Of(int.MaxValue));
    }
}

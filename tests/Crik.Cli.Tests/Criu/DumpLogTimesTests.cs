using Crik.Cli.Criu;
using Xunit;

namespace Crik.Cli.Tests.Criu;

[Trait("Category", "Unit")]
public class DumpLogTimesTests
{
    private static readonly string[] Patched =
    [
        "(00.000000) CRIU run id = 8dc904e5-5e64-45c0-9b75-848d8fb1e25c",
        "(00.000121) Version: 4.2.1 (gitid 0)",
        "(00.000162) Log timestamps count from CLOCK_MONOTONIC 345.002915414",
        "(00.017854) Pagemap is fully functional",
        "(00.066242) Seized task 585, state 1",
        "(00.066300) Seized task 590, state 1",
        "(00.074717) Unfreezing tasks into 1",
    ];

    [Fact]
    public void APatchedCriusLogGivesTheFirstSeizeOnTheMonotonicClock()
    {
        DumpLogTimes times = DumpLogTimes.Read(Patched);
        Assert.Equal(345_002_915_414L, times.LogStart);
        Assert.Equal(TimeSpan.FromTicks(662_420), times.Seized);
        Assert.Equal(345_002_915_414L + 66_242_000L, times.SeizedAt);
    }

    [Fact]
    public void AStockCriusLogGivesTheSeizesTimestampButNoMoment()
    {
        DumpLogTimes times = DumpLogTimes.Read(Patched.Where(l => !l.Contains("CLOCK_MONOTONIC", StringComparison.Ordinal)));
        Assert.Null(times.LogStart);
        Assert.Equal(TimeSpan.FromTicks(662_420), times.Seized);
        Assert.Null(times.SeizedAt);
    }

    [Fact]
    public void ALogWithoutASeizeGivesNone()
    {
        DumpLogTimes times = DumpLogTimes.Read(Patched.Take(4));
        Assert.Equal(345_002_915_414L, times.LogStart);
        Assert.Null(times.Seized);
        Assert.Null(times.SeizedAt);
    }

    [Fact]
    public void ReadingStopsAtTheFirstSeize()
    {
        // A log runs to thousands of lines: nothing after the seize is read.
        static IEnumerable<string> ThenBroken()
        {
            foreach (string line in Patched.Take(5))
            {
                yield return line;
            }
            throw new InvalidOperationException("read past the seize");
        }
        Assert.NotNull(DumpLogTimes.Read(ThenBroken()).SeizedAt);
    }

    [Theory]
    [InlineData("(100.00012) Seized task 585, state 1", 100_000_120_000L)] // past 99 s, CRIU's ')' takes the last digit's place
    [InlineData("(01.5) Seized task 585, state 1", 1_500_000_000L)]
    public void TimestampsOfEveryWidthAreRead(string line, long nanoseconds) =>
        Assert.Equal(TimeSpan.FromTicks(nanoseconds / 100), DumpLogTimes.Read([line]).Seized);

    [Theory]
    [InlineData("Seized task 585, state 1")]
    [InlineData("(00.0x0001) Seized task 585, state 1")]
    [InlineData("(00.000001) pie: Seized task 585")]
    [InlineData("(-1.000001) Seized task 585, state 1")]
    [InlineData("(00.0000000001) Seized task 585, state 1")]
    [InlineData("(99999999999999999999.0) Seized task 585, state 1")]
    public void LinesThatAreNotACriuSeizeAreNotOne(string line) => Assert.Null(DumpLogTimes.Read([line]).Seized);

    [Theory]
    [InlineData("(00.000162) Log timestamps count from CLOCK_MONOTONIC ")]
    [InlineData("(00.000162) Log timestamps count from CLOCK_MONOTONIC 345")]
    [InlineData("(00.000162) Log timestamps count from CLOCK_MONOTONIC 345.0029154140")]
    [InlineData("(00.000162) Log timestamps count from CLOCK_MONOTONIC soon")]
    public void AStartThatCannotBeReadIsNone(string line) => Assert.Null(DumpLogTimes.Read([line]).LogStart);
}

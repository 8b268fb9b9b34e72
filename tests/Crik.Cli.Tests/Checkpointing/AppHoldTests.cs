using Crik.Cli.Checkpointing;
using Crik.Cli.Criu;
using Crik.Cli.Processes;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>How long a dump held the app, from what CRIU's log tells and crik's own moments (all in nanoseconds of CLOCK_MONOTONIC).</summary>
[Trait("Category", "Unit")]
public class AppHoldTests
{
    private const long Spawned = 1_000_000_000;
    private const long LetGo = Spawned + 40_000_000; // CRIU ran about 37 ms, and crik let the app go 3 ms after it exited

    private static readonly CriuResult Dump = new(default(WaitStatus), TimeSpan.FromMilliseconds(37), TimedOut: false, "", StartedAt: Spawned);

    [Fact]
    public void FromTheSeizeCriuLoggedToTheLetGo()
    {
        // CRIU's log started 2 ms after its spawn, and it seized the app 21 ms into its log.
        var times = new DumpLogTimes(LogStart: Spawned + 2_000_000, Seized: TimeSpan.FromMilliseconds(21));
        Assert.Equal(new AppHold(TimeSpan.FromMilliseconds(17), AtMost: false), AppHold.Of(Dump, times, LetGo));
    }

    [Fact]
    public void WithoutTheLogsStartItIsCountedFromTheSpawnPlusTheSeizesTimestampAndSaidToBeAtMost()
    {
        var times = new DumpLogTimes(LogStart: null, Seized: TimeSpan.FromMilliseconds(21));
        AppHold held = AppHold.Of(Dump, times, LetGo);
        Assert.Equal(new AppHold(TimeSpan.FromMilliseconds(19), AtMost: true), held);
        Assert.Equal("at most 19.0 ms", held.ToString());
    }

    [Fact]
    public void WithoutALogItIsCountedFromTheSpawn() =>
        Assert.Equal(new AppHold(TimeSpan.FromMilliseconds(40), AtMost: true), AppHold.Of(Dump, times: null, LetGo));

    [Theory]
    [InlineData(-1_000_000L)] // a seize before criu was spawned
    [InlineData(50_000_000L)] // a seize after the app was let go
    public void ASeizeOutsideTheRunIsNotTakenAsItsMoment(long seizedAfterSpawn)
    {
        var times = new DumpLogTimes(LogStart: Spawned + seizedAfterSpawn, Seized: TimeSpan.Zero);
        AppHold held = AppHold.Of(Dump, times, LetGo);
        Assert.True(held.AtMost);
        Assert.Equal(TimeSpan.FromMilliseconds(40), held.Length);
    }

    [Fact]
    public void AnExactHoldReadsInMilliseconds() =>
        Assert.Equal("17.3 ms", new AppHold(TimeSpan.FromMicroseconds(17_300), AtMost: false).ToString());
}

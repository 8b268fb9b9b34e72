using Crik.Cli.Timing;
using Xunit;

namespace Crik.Cli.Tests.Timing;

public class StageClockTests
{
    [Fact]
    public void EachLapEndsTheStageBeforeItAndARepeatedStageAddsUp()
    {
        var stages = new StageClock();
        Thread.Sleep(30);
        stages.Lap("dump");
        stages.Lap("files");
        Thread.Sleep(30);
        stages.Lap("dump");

        string[] parts = stages.ToString().Split(", ");
        Assert.Equal(2, parts.Length);
        Assert.StartsWith("dump ", parts[0], StringComparison.Ordinal);
        Assert.StartsWith("files ", parts[1], StringComparison.Ordinal);
        Assert.True(int.Parse(parts[0].Split(' ')[1]) >= 60, stages.ToString());
        Assert.True(int.Parse(parts[1].Split(' ')[1]) < 30, stages.ToString());
    }

    [Fact]
    public void TheLargestStreamIsTheOneReported()
    {
        var small = new StreamTimes("core-1.img");
        small.Moved(10);
        var pages = new StreamTimes("pages-1.img");
        pages.Moved(5 << 20);
        pages.CriuSince(StreamTimes.Now());

        Assert.Same(pages, StreamTimes.Largest([small, pages]));
        Assert.Null(StreamTimes.Largest([]));
        Assert.Matches(@"^pages-1\.img 5(\.0)? MiB: waited \d+ ms for CRIU, 0 ms for crik$", pages.ToString());
    }
}

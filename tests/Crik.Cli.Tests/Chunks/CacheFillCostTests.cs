using System.Diagnostics;
using Crik.Cli.Chunks;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

/// <summary>A stretch of writes through the page cache is slow when its median write is: a few writes that waited for another's lock do not make it so.</summary>
[Trait("Category", "Unit")]
public sealed class CacheFillCostTests
{
    private const int PagesPerWrite = 128;

    [Fact]
    public void AStretchWhoseMedianWriteIsSlowIsSlow()
    {
        CacheFillCost fill = CacheFillCost.ToMeasure(slowMicrosecondsPerPage: 5);
        Time(fill, microsecondsPerPage: 1, writes: 7);
        Time(fill, microsecondsPerPage: 12, writes: 8);
        Assert.False(fill.Slow); // 15 timed: not a stretch yet
        Time(fill, microsecondsPerPage: 12, writes: 1);
        Assert.True(fill.Slow);
    }

    [Fact]
    public void WritesThatWaitedForAnotherDoNotMakeAStretchSlow()
    {
        CacheFillCost fill = CacheFillCost.ToMeasure(slowMicrosecondsPerPage: 5);
        Time(fill, microsecondsPerPage: 40, writes: 7);
        Time(fill, microsecondsPerPage: 0.7, writes: 9);
        Assert.False(fill.Slow);
    }

    [Fact]
    public void OnceSlowItStaysSlowAndACheapStretchDoesNotCountAgainstALaterSlowOne()
    {
        CacheFillCost fill = CacheFillCost.ToMeasure(slowMicrosecondsPerPage: 5);
        Time(fill, microsecondsPerPage: 0.7, writes: 16);
        Assert.False(fill.Slow);
        Time(fill, microsecondsPerPage: 20, writes: 16); // the memory the cache fills has become new to the host
        Assert.True(fill.Slow);
        Time(fill, microsecondsPerPage: 0.7, writes: 32);
        Assert.True(fill.Slow);
    }

    [Fact]
    public void KnownSlowIsSlowBeforeAnyWrite() => Assert.True(CacheFillCost.KnownSlow().Slow);

    private static void Time(CacheFillCost fill, double microsecondsPerPage, int writes)
    {
        long ticks = (long)(microsecondsPerPage * PagesPerWrite * Stopwatch.Frequency / 1_000_000);
        for (int i = 0; i < writes; i++)
        {
            fill.Took(PagesPerWrite * 4096, ticks);
        }
    }
}

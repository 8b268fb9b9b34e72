using Crik.NodeStateServer.Sync;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class BackoffTests
{
    [Fact]
    public void DelaysDoubleWithJitterUpToTheCapAndResetStartsOver()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), new Random(7));
        double[] ceilings = [100, 200, 400, 800, 1000, 1000, 1000];
        foreach (var ceiling in ceilings)
            Assert.InRange(backoff.Next().TotalMilliseconds, ceiling / 2, ceiling);

        backoff.Reset();
        Assert.InRange(backoff.Next().TotalMilliseconds, 50, 100);
    }

    [Fact]
    public void JitterSpreadsDelays()
    {
        var delays = Enumerable.Range(0, 20).Select(i =>
        {
            var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), new Random(i));
            return backoff.Next();
        }).Distinct().Count();
        Assert.True(delays > 10);
    }
}

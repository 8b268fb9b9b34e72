using Crik.Cli.Guarding;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>
/// Work beside an app that runs on yields the CPU to it: it runs at nice <see cref="BackgroundThread.YieldingNice"/>, never on a
/// thread of the pool (whose nice value could not be lowered again), and what it throws reaches its caller.
/// </summary>
[Trait("Category", "Unit")]
public sealed class YieldingWorkTests
{
    [Fact]
    public async Task LeafWorkRunsYieldingOffThePool()
    {
        int callers = OwnNice();
        var seen = new List<(int Nice, bool Pooled)>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => YieldingWork.Run(() =>
        {
            lock (seen)
            {
                seen.Add((OwnNice(), Thread.CurrentThread.IsThreadPoolThread));
            }
        })));

        Assert.Equal(8, seen.Count);
        Assert.All(seen, s => Assert.Equal((BackgroundThread.YieldingNice, false), s));
        Assert.Equal(callers, OwnNice()); // the caller's own priority is left as it was
    }

    [Fact]
    public async Task WhatTheWorkThrowsReachesItsCallerAndTheThreadsGoOn()
    {
        var thrown = await Assert.ThrowsAsync<InvalidDataException>(() => YieldingWork.Run(() => throw new InvalidDataException("bad chunk")));
        Assert.Equal("bad chunk", thrown.Message);

        bool ran = false;
        await YieldingWork.Run(() => ran = true);
        Assert.True(ran);
    }

    private static int OwnNice() => ProcessTable.NiceOf("/proc/thread-self");
}

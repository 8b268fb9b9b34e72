using Crik.Cli.Guarding;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>
/// Work beside an app that runs on yields the CPU to it: it runs at nice <see cref="BackgroundThread.YieldingNice"/>, never on a
/// thread of the pool (whose nice value could not be lowered again), and what it returns or throws reaches its caller.
/// </summary>
[Trait("Category", "Unit")]
public sealed class YieldingWorkTests
{
    [Fact]
    public async Task WorkOnAThreadOfItsOwnRunsYieldingAndHandsBackItsResult()
    {
        int callers = OwnNice();
        (int nice, string? name, bool pooled) = await YieldingWork.OnThreadOfItsOwn("crik test yield",
            () => (OwnNice(), Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));

        Assert.Equal(BackgroundThread.YieldingNice, nice);
        Assert.Equal("crik test yield", name);
        Assert.False(pooled);
        Assert.Equal(callers, OwnNice()); // the caller's own priority is left as it was
    }

    [Fact]
    public async Task LeafWorkRunsYieldingOffThePool()
    {
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
    }

    [Fact]
    public async Task WhatTheWorkThrowsReachesItsCallerAndTheThreadsGoOn()
    {
        var thrown = await Assert.ThrowsAsync<IOException>(() => YieldingWork.OnThreadOfItsOwn<int>("crik test throw", () => throw new IOException("disk full")));
        Assert.Equal("disk full", thrown.Message);
        await Assert.ThrowsAsync<InvalidDataException>(() => YieldingWork.Run(() => throw new InvalidDataException("bad chunk")));

        bool ran = false;
        await YieldingWork.Run(() => ran = true);
        Assert.True(ran);
    }

    private static int OwnNice() => ProcessTable.NiceOf("/proc/thread-self");
}

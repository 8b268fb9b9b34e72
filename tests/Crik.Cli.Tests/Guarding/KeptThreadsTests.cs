using Crik.Cli.Guarding;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>
/// The threads that read CRIU's images are kept from one checkpoint to the next: work runs on a thread that finished
/// earlier work, on a new one whenever none is free (work there may wait for other work there), and a thread left idle
/// ends after its time. Handing work to a thread whose wait is just running out loses none.
/// </summary>
[Trait("Category", "Unit")]
public sealed class KeptThreadsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task WorkRunsOnAThreadThatFinishedEarlierWork()
    {
        var threads = new KeptThreads("test reader", TimeSpan.FromSeconds(30));
        Thread first = await threads.Run(() => Thread.CurrentThread);
        await WaitUntil(() => threads.Idle == 1);

        Thread second = await threads.Run(() => Thread.CurrentThread);

        Assert.Same(first, second);
        Assert.False(second.IsThreadPoolThread);
        Assert.True(second.IsBackground);
    }

    [Fact]
    public async Task EachPieceOfWorkHasAThreadAtOnceSoWorkMayWaitForOtherWork()
    {
        var threads = new KeptThreads("test reader", TimeSpan.FromSeconds(30));
        const int Pieces = 12; // more than any pool of a fixed size for this machine's cores would run at once
        using var all = new Barrier(Pieces);

        Task<bool>[] running = Enumerable.Range(0, Pieces).Select(_ => threads.Run(() => all.SignalAndWait(Patience))).ToArray();

        Assert.All(await Task.WhenAll(running).WaitAsync(Patience), met => Assert.True(met));
        await WaitUntil(() => threads.Idle == Pieces);
    }

    [Fact]
    public async Task AThreadLeftIdleEndsAfterItsTime()
    {
        var threads = new KeptThreads("test reader", TimeSpan.FromMilliseconds(200));
        Thread used = await threads.Run(() => Thread.CurrentThread);

        Assert.True(used.Join(Patience));
        Assert.Equal(0, threads.Idle);
        Assert.NotSame(used, await threads.Run(() => Thread.CurrentThread));
    }

    [Fact]
    public async Task WhatTheWorkThrowsReachesItsCallerAndTheThreadIsKept()
    {
        var threads = new KeptThreads("test reader", TimeSpan.FromSeconds(30));
        Thread? thrower = null;

        var thrown = await Assert.ThrowsAsync<InvalidDataException>(() => threads.Run(() =>
        {
            thrower = Thread.CurrentThread;
            throw new InvalidDataException("bad image");
        }));
        await WaitUntil(() => threads.Idle == 1);

        Assert.Equal("bad image", thrown.Message);
        Assert.Same(thrower, await threads.Run(() => Thread.CurrentThread));
    }

    [Fact]
    public async Task WorkHandedAsAnIdleThreadsWaitRunsOutIsNeverLost()
    {
        // Waits of 0-2 ms run out while work is being handed to the thread, again and again.
        var threads = new KeptThreads("test reader", TimeSpan.FromMilliseconds(1));
        int done = 0;
        Task[] callers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 300; i++)
            {
                await threads.Run(() => Interlocked.Increment(ref done));
                if (i % 3 == 0)
                {
                    Thread.Sleep(1);
                }
            }
        })).ToArray();

        await Task.WhenAll(callers).WaitAsync(Patience);

        Assert.Equal(1200, done);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < Patience, "the condition did not come true");
            await Task.Delay(5);
        }
    }
}

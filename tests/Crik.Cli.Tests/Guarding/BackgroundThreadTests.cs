using Crik.Cli.Guarding;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>A thread started without waiting for it to run is still crik's own: named, background, and guarded.</summary>
[Trait("Category", "Unit")]
public sealed class BackgroundThreadTests
{
    [Fact]
    public void AThreadStartedSoonRunsNamedInTheBackground()
    {
        using var ran = new ManualResetEventSlim();
        string? name = null;
        bool background = false;
        BackgroundThread.StartSoon(() =>
        {
            (name, background) = (Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground);
            ran.Set();
        }, "crik test soon", (_, e) => throw e);
        Assert.True(ran.Wait(TimeSpan.FromSeconds(10)), "the thread never ran");
        Assert.Equal("crik test soon", name);
        Assert.True(background);
    }

    [Fact]
    public void AnExceptionOnAThreadStartedSoonGoesToItsOwner()
    {
        using var told = new ManualResetEventSlim();
        (string Name, Exception Error)? failure = null;
        BackgroundThread.StartSoon(() => throw new InvalidOperationException("broken on purpose"), "crik test failing", (thread, e) =>
        {
            failure = (thread, e);
            told.Set();
        });
        Assert.True(told.Wait(TimeSpan.FromSeconds(10)), "the failure never reached the thread's owner");
        Assert.Equal("crik test failing", failure!.Value.Name);
        Assert.Equal("broken on purpose", failure.Value.Error.Message);
    }

    [Fact]
    public void ManyThreadsStartedSoonAllRun()
    {
        const int Count = 32;
        using var all = new CountdownEvent(Count);
        for (int i = 0; i < Count; i++)
        {
            BackgroundThread.StartSoon(() => all.Signal(), $"crik test {i}", (_, e) => throw e);
        }
        Assert.True(all.Wait(TimeSpan.FromSeconds(20)), $"{all.CurrentCount} of {Count} threads never ran");
    }
}

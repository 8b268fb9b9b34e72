using System.Diagnostics;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>What a lazy fill tells of its store: an outage's start once, its end once, and when its patience is spent.</summary>
[Trait("Category", "Unit")]
public sealed class StoreOutageStateTests
{
    [Fact]
    public void AnOutageIsToldOfOnceAtItsStartAndOnceWhenAReadSentSinceIsAnswered()
    {
        var news = new List<OutageNews>();
        var outage = new StoreOutage(TimeSpan.FromMinutes(5), news.Add);
        long sentBefore = Stopwatch.GetTimestamp();

        Assert.True(outage.Failed("503 SlowDown"));
        Assert.True(outage.Failed("no answer within 15 s"));
        Assert.False(outage.Answered(sentBefore)); // sent before the store stopped answering: says nothing of it now
        Assert.NotNull(outage.Lasted);
        outage.Tick(); // less than 10 s in: no reminder yet
        Assert.True(outage.Answered(Stopwatch.GetTimestamp()));
        Assert.False(outage.Answered(Stopwatch.GetTimestamp()));

        Assert.Equal([(OutageStage.Began, "503 SlowDown"), (OutageStage.Over, "no answer within 15 s")], news.Select(n => (n.Stage, n.Why)));
        Assert.Null(outage.Lasted);
    }

    [Fact]
    public void AnOutageThatLastsItsPatienceIsSpentAndSaysWhy()
    {
        var outage = new StoreOutage(TimeSpan.FromMilliseconds(200), _ => { });
        Assert.False(outage.Spent);
        Assert.True(outage.Failed("503 SlowDown"));
        Thread.Sleep(300);
        Assert.False(outage.Failed("503 SlowDown again"));
        Assert.True(outage.Spent);
        Assert.Equal("the image store did not answer for 0.2 s (lazyStoreWait); the last failure: 503 SlowDown again", outage.GiveUp());
    }
}

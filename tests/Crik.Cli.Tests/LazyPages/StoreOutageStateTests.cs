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
        var outage = new StoreOutage(TimeSpan.FromMinutes(5), new OutageNewsTo(news.Add));
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
    public void AReadLeftUnansweredStartsAnOutageFromWhenItWasSentUnlessItWasSentDuringOneThatIsOver()
    {
        var news = new List<OutageNews>();
        var outage = new StoreOutage(TimeSpan.FromMinutes(5), new OutageNewsTo(news.Add));
        long sentEarly = Stopwatch.GetTimestamp();
        Thread.Sleep(50);

        outage.Unanswered(0, TimeSpan.Zero); // nothing under way
        outage.Unanswered(sentEarly, TimeSpan.FromSeconds(10)); // not long enough
        Assert.Empty(news);
        outage.Unanswered(sentEarly, TimeSpan.FromMilliseconds(10));
        Assert.Equal(OutageStage.Began, Assert.Single(news).Stage);
        Assert.StartsWith("a read of the app's memory has had no answer for ", news[0].Why, StringComparison.Ordinal);
        Assert.True(outage.Lasted >= TimeSpan.FromMilliseconds(50)); // from when the read was sent
        Assert.True(outage.Answered(sentEarly)); // that very read, answered: the store is back
        outage.Unanswered(sentEarly, TimeSpan.FromMilliseconds(10)); // another read sent during the outage, still on its way: part of the outage that is over
        Assert.Equal(2, news.Count);
    }

    [Fact]
    public void AnOutageThatLastsItsPatienceIsSpentAndSaysWhy()
    {
        var outage = new StoreOutage(TimeSpan.FromMilliseconds(200), OutageNewsTo.Nobody);
        Assert.False(outage.Spent);
        Assert.True(outage.Failed("503 SlowDown"));
        Thread.Sleep(300);
        Assert.False(outage.Failed("503 SlowDown again"));
        Assert.True(outage.Spent);
        Assert.Equal("the image store did not answer for 0.2 s (lazyStoreWait); the last failure: 503 SlowDown again", outage.GiveUp());
    }
}

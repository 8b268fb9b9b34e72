using System.Diagnostics;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Records;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>A lease holder's state as its waiter sees it: woken at each time the rule names and at each answer, never before.</summary>
[Trait("Category", "Unit")]
public class LeaseVersionTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan DoubtLimit = TimeSpan.FromSeconds(3); // far past the answer, even on a loaded machine

    [Fact]
    public void AWaiterIsWokenWhenTheLeaseBecomesEndangeredThenFencedAndAtOnceWhenARenewalIsAnswered()
    {
        long written = Stopwatch.GetTimestamp();
        var version = new LeaseVersion("v1", written, new LeaseTerms(Lifetime, DoubtLimit));

        Assert.Equal(HoldState.Endangered, version.WaitForChange(HoldState.Held, TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(written) >= Lifetime * 3 / 5);
        Assert.Equal(HoldState.Fenced, version.WaitForChange(HoldState.Endangered, TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(written) >= Lifetime * 4 / 5);
        Assert.Null(version.Releasable);

        using var answered = new Timer(_ => version.Renewed("v2", Stopwatch.GetTimestamp()), null, TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan);
        Assert.Equal(HoldState.Held, version.WaitForChange(HoldState.Fenced, TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(written) < DoubtLimit, "woken by the answer, not by the doubt limit");
        Assert.Equal("v2", version.Releasable);
    }

    [Fact]
    public void ALeaseInDoubtForTheLimitIsLostAndARenewalAnsweredAfterThatDoesNotMakeItHeldAgain()
    {
        long written = Stopwatch.GetTimestamp();
        var version = new LeaseVersion("v1", written, new LeaseTerms(Lifetime, DoubtLimit));
        HoldState state = HoldState.Held;
        while (state is not HoldState.Lost)
        {
            state = version.WaitForChange(state, TimeSpan.FromSeconds(5), CancellationToken.None);
        }
        Assert.True(Stopwatch.GetElapsedTime(written) >= DoubtLimit);

        version.Renewed("v2", Stopwatch.GetTimestamp()); // a renewal that was under way when the limit passed
        Assert.Equal(HoldState.Lost, version.State);
        Assert.Null(version.Releasable);
    }

    [Fact]
    public void AWaitEndsAtItsLimitOrWhenStoppedWithTheStateUnchanged()
    {
        var version = new LeaseVersion("v1", Stopwatch.GetTimestamp(), new LeaseTerms(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(15)));
        var clock = Stopwatch.StartNew();
        Assert.Equal(HoldState.Held, version.WaitForChange(HoldState.Held, TimeSpan.FromMilliseconds(100), CancellationToken.None));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(100));

        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.Equal(HoldState.Held, version.WaitForChange(HoldState.Held, Timeout.InfiniteTimeSpan, stop.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Writes under the lease are cut once it may be another's (four fifths of its lifetime unrenewed) or is lost; a renewal
    /// answered in between lets new writes go on, under a token of its own (a cancelled one cannot be taken back).
    /// </summary>
    [Fact]
    public async Task WritesUnderTheLeaseAreCutWhenItMayBeAnothersAndARenewalLetsNewOnesGoOn()
    {
        using var version = new LeaseVersion("v1", Stopwatch.GetTimestamp(), new LeaseTerms(Lifetime, DoubtLimit));
        CancellationToken first = version.WritesEnd;
        Assert.False(first.IsCancellationRequested);
        Assert.Equal(HoldState.Fenced, await Task.Run(() =>
        {
            HoldState state = HoldState.Held;
            while (state is not HoldState.Fenced)
            {
                state = version.WaitForChange(state, TimeSpan.FromSeconds(5), CancellationToken.None);
            }
            return state;
        }));
        await Poll.UntilAsync(() => first.IsCancellationRequested, "the writes' token to be cancelled once the lease is fenced");

        version.Renewed("v2", Stopwatch.GetTimestamp());
        CancellationToken second = version.WritesEnd;
        Assert.False(second.IsCancellationRequested);
        version.Lose();
        await Poll.UntilAsync(() => second.IsCancellationRequested, "the writes' token to be cancelled once the lease is lost");
    }

    [Fact]
    public void AReleasedLeaseWakesItsWaiterAndNeverTimesOut()
    {
        long written = Stopwatch.GetTimestamp();
        var version = new LeaseVersion("v1", written, new LeaseTerms(Lifetime, DoubtLimit));
        Assert.Equal(HoldState.Endangered, version.WaitForChange(HoldState.Held, TimeSpan.FromSeconds(5), CancellationToken.None));
        version.Release();
        Assert.Equal(HoldState.Held, version.State);
        Assert.Equal(HoldState.Held, version.WaitForChange(HoldState.Held, DoubtLimit * 1.5, CancellationToken.None));
    }
}

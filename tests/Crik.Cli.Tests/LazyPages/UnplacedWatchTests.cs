using System.Diagnostics;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// A page not there for its userfaultfd fails the fill only once every event queued before it was found so has been read,
/// and <see cref="UnplacedWatch.Wait"/> after: an events thread busy elsewhere (another process's fork, say) never makes a
/// page whose unmap is still unread count as unplaceable. Before, two seconds of wall clock did, whatever that thread did.
/// </summary>
[Trait("Category", "Unit")]
public sealed class UnplacedWatchTests
{
    private static readonly long T0 = Stopwatch.GetTimestamp();

    private static long At(double seconds) => T0 + (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void AnEventsThreadStuckInOneRoundNeverFailsThePage()
    {
        var watch = new UnplacedWatch();
        Assert.False(watch.GivesUp(roundsBegun: 5, At(0)));
        Assert.False(watch.GivesUp(roundsBegun: 5, At(10)));
        Assert.False(watch.GivesUp(roundsBegun: 6, At(30))); // the round begun after it was found has not ended yet
        Assert.False(watch.GivesUp(roundsBegun: 6, At(UnplacedWatch.StuckRound.TotalSeconds - 1)));
    }

    [Fact]
    public void AnEventsThreadStuckInOneRoundForAMinuteFailsThePage()
    {
        var watch = new UnplacedWatch();
        Assert.False(watch.GivesUp(roundsBegun: 5, At(0)));
        Assert.True(watch.GivesUp(roundsBegun: 6, At(UnplacedWatch.StuckRound.TotalSeconds)));
    }

    [Fact]
    public void ThePageFailsTheWaitAfterARoundBegunAfterItEnded()
    {
        var watch = new UnplacedWatch();
        Assert.False(watch.GivesUp(roundsBegun: 5, At(0)));
        Assert.False(watch.GivesUp(roundsBegun: 7, At(3))); // counting from here
        Assert.False(watch.GivesUp(roundsBegun: 9, At(3) + (long)((UnplacedWatch.Wait.TotalSeconds - 0.1) * Stopwatch.Frequency)));
        Assert.True(watch.GivesUp(roundsBegun: 9, At(3) + (long)(UnplacedWatch.Wait.TotalSeconds * Stopwatch.Frequency)));
    }
}

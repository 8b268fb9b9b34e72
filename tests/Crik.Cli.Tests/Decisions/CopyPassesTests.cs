using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>When the copy before a dump goes over what the app wrote during its last pass once more.</summary>
[Trait("Category", "Unit")]
public sealed class CopyPassesTests
{
    [Theory]
    [InlineData(1, 100, true)]
    [InlineData(1, 2500, true)]
    [InlineData(2, 150, true)]
    [InlineData(1, 99, false)] // as short as the way from the copy to the freeze: another would not leave fewer pages to the dump
    [InlineData(3, 5000, false)] // an app that writes faster than crik copies would keep it from the dump for ever
    public void APassThatTookLongIsFollowedByAnotherUpToThree(int done, int lastTookMs, bool another) =>
        Assert.Equal(another, CopyPasses.Another(done, TimeSpan.FromMilliseconds(lastTookMs), enough: false));

    [Fact]
    public void NoPassFollowsOnceTheCopyMustMakeWay() =>
        Assert.False(CopyPasses.Another(1, TimeSpan.FromSeconds(2), enough: true)); // a SIGTERM waits, or the budget is spent
}

using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

[Trait("Category", "Unit")]
public sealed class NextGenerationTests
{
    [Fact]
    public void AnEmptyStoreStartsAtOne() => Assert.Equal(1, NextGeneration.After(newest: 0, finishedThrough: 0));

    [Fact]
    public void ItFollowsTheNewestGenerationSeen() => Assert.Equal(8, NextGeneration.After(newest: 7, finishedThrough: 3));

    [Fact]
    public void ItFollowsAFinishedMarkPastEveryGenerationLeft() => Assert.Equal(10, NextGeneration.After(newest: 7, finishedThrough: 9));
}

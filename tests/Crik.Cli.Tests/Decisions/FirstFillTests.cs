using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>The order of a restore's first fill: what the app touched first, else what it wrote, then its smaller areas, within a budget.</summary>
[Trait("Category", "Unit")]
public class FirstFillTests
{
    private const long KiB = 1024, MiB = 1024 * KiB;

    [Fact]
    public void TheChunksOfSmallerAreasComeFirstSmallestFirst()
    {
        var chunks = new[]
        {
            ((1, 0), 2048 * MiB, 640 * KiB), // the app's bulk data
            ((1, 1), 4 * MiB, 640 * KiB),     // malloc's heap
            ((1, 2), 132 * KiB, 512 * KiB),   // a thread's stack
            ((1, 3), 2048 * MiB, 640 * KiB),
        };
        Assert.Equal([(1, 2), (1, 1)], FirstFill.SmallAreasFirst(chunks, 32 * MiB));
    }

    [Fact]
    public void AnAreaLargerThanTheLimitIsBulkDataAndNoneOfItIsChosen()
    {
        var chunks = new[] { ((1, 0), 33 * MiB, KiB), ((1, 1), 32 * MiB, KiB), ((1, 2), 2048 * MiB, KiB) };
        Assert.Equal([(1, 1)], FirstFill.SmallAreasFirst(chunks, 32 * MiB));
    }

    [Fact]
    public void AmongAreasOfOneSizeTheGivenOrderStays()
    {
        var chunks = new[] { ((2, 5), MiB, KiB), ((1, 9), MiB, KiB), ((1, 3), MiB, KiB) };
        Assert.Equal([(2, 5), (1, 9), (1, 3)], FirstFill.SmallAreasFirst(chunks, MiB));
    }

    [Fact]
    public void NoMoreThanTheLimitIsChosen()
    {
        var chunks = Enumerable.Range(0, 100).Select(i => ((1, i), 8 * MiB, 640 * KiB));
        List<(int PagesId, int Index)> first = FirstFill.SmallAreasFirst(chunks, 32 * MiB);
        Assert.Equal(51, first.Count); // 51 x 640 KiB fit in 32 MiB, 52 do not
        Assert.Equal(Enumerable.Range(0, 51).Select(i => (1, i)), first);
    }

    [Fact]
    public void AChunkHoldingPagesOfSeveralAreasIsChosenOnceAtItsSmallestAreasPlace()
    {
        // Chunk (1, 1) ends one large area and starts a small one; a forked child has the same chunk in a larger area.
        var chunks = new[] { ((1, 0), 64 * KiB, KiB), ((1, 1), 64 * KiB, KiB), ((1, 1), 16 * KiB, KiB), ((1, 2), 16 * KiB, KiB), ((1, 1), 128 * KiB, KiB) };
        Assert.Equal([(1, 1), (1, 2), (1, 0)], FirstFill.SmallAreasFirst(chunks, MiB));
    }

    [Fact]
    public void AfterWhatTheAppTouchedFirstTheSmallerAreasGetTheBudgetLeftAndNoChunkTwice()
    {
        // 30 MiB touched first, chunk (1, 1) among it: of the smaller areas' chunks, (1, 1) is not chosen again,
        // and only 2 MiB is left for the rest (three of 640 KiB fit, a fourth does not).
        var chunks = Enumerable.Range(0, 10).Select(i => ((1, i), 4 * MiB, 640 * KiB)).Append(((1, 20), 64 * MiB, 640 * KiB));
        HashSet<(int PagesId, int Index)> touched = [(1, 1), (1, 30)];
        Assert.Equal([(1, 0), (1, 2), (1, 3)], FirstFill.SmallAreasFirst(chunks, 32 * MiB, touched, 30 * MiB));
        Assert.Empty(FirstFill.SmallAreasFirst(chunks, 32 * MiB, touched, 32 * MiB));
    }

    [Fact]
    public void NoChunksNoneChosen() => Assert.Empty(FirstFill.SmallAreasFirst([], 32 * MiB));

    private static readonly ((int PagesId, int Index) Chunk, long AreaBytes, long ChunkBytes)[] Areas =
        [((1, 7), 64 * KiB, MiB), ((1, 8), 2048 * MiB, MiB), ((1, 1), 64 * KiB, MiB)];

    [Fact]
    public void WhatTheAppTouchedFirstComesFirstInThatOrderThenTheSmallerAreasAndNothingItWrote()
    {
        FirstFillOrder order = FirstFill.Order([((1, 3), MiB), ((1, 1), MiB)], [((1, 5), MiB)], anyReused: true, Areas, 32 * MiB);
        Assert.Equal([(1, 3), (1, 1)], order.Touched);
        Assert.Empty(order.Written);
        Assert.Equal([(1, 7)], order.SmallAreas); // (1, 1) is chosen already; (1, 8) is bulk data
    }

    [Fact]
    public void AListOfFirstTouchesNoneOfWhichIsLazyChoosesNothingItWrote()
    {
        FirstFillOrder order = FirstFill.Order([], [((1, 5), MiB)], anyReused: true, Areas, 32 * MiB);
        Assert.Empty(order.Touched);
        Assert.Empty(order.Written);
        Assert.Equal([(1, 7), (1, 1)], order.SmallAreas);
    }

    [Fact]
    public void WithNoFirstTouchesWhatItWroteComesFirstOnlyWhenAChunkWasReused()
    {
        Assert.Equal([(1, 5), (1, 6)], FirstFill.Order(null, [((1, 5), MiB), ((1, 6), MiB)], anyReused: true, Areas, 32 * MiB).Written);
        FirstFillOrder first = FirstFill.Order(null, [((1, 5), MiB), ((1, 6), MiB)], anyReused: false, Areas, 32 * MiB);
        Assert.Empty(first.Written); // a first checkpoint: every chunk is new, and says nothing
        Assert.Equal([(1, 7), (1, 1)], first.SmallAreas);
    }

    [Fact]
    public void WhatTheAppTouchedOrWroteStopsAtTheBudgetAndLeavesTheSmallerAreasWhatIsLeft()
    {
        ((int, int), long)[] touched = [.. Enumerable.Range(0, 20).Select(i => ((2, i), 2 * MiB))];
        FirstFillOrder full = FirstFill.Order(touched, [], anyReused: false, Areas, 32 * MiB);
        Assert.Equal(16, full.Touched.Count); // 16 x 2 MiB fill the 32 MiB
        Assert.Empty(full.SmallAreas);
        FirstFillOrder room = FirstFill.Order(null, [((2, 0), 31 * MiB), ((2, 1), 2 * MiB)], anyReused: true, Areas, 32 * MiB);
        Assert.Equal([(2, 0)], room.Written);
        Assert.Equal([(1, 7)], room.SmallAreas); // 1 MiB left: one chunk of 1 MiB
    }
}

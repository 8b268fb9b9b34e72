using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>
/// The order of a restore's first fill: what the app touched first, its smaller areas, else what it wrote, within a budget
/// of bytes read, in which a chunk of the packs counts once however many of its slices are chosen.
/// </summary>
[Trait("Category", "Unit")]
public class FirstFillTests
{
    private const long KiB = 1024, MiB = 1024 * KiB;

    [Fact]
    public void TheChunksOfSmallerAreasComeFirstSmallestFirst()
    {
        var chunks = new[]
        {
            (Whole(1, 0, 640 * KiB), 2048 * MiB), // the app's bulk data
            (Whole(1, 1, 640 * KiB), 4 * MiB),     // malloc's heap
            (Whole(1, 2, 512 * KiB), 132 * KiB),   // a thread's stack
            (Whole(1, 3, 640 * KiB), 2048 * MiB),
        };
        Assert.Equal([(1, 2), (1, 1)], FirstFill.SmallAreasFirst(Each(chunks), new ReadBudget(32 * MiB)));
    }

    [Fact]
    public void AnAreaLargerThanTheLimitIsBulkDataAndNoneOfItIsChosen()
    {
        var chunks = new[] { (Whole(1, 0, KiB), 33 * MiB), (Whole(1, 1, KiB), 32 * MiB), (Whole(1, 2, KiB), 2048 * MiB) };
        Assert.Equal([(1, 1)], FirstFill.SmallAreasFirst(Each(chunks), new ReadBudget(32 * MiB)));
    }

    [Fact]
    public void AmongAreasOfOneSizeTheGivenOrderStays()
    {
        var chunks = new[] { (Whole(2, 5, KiB), MiB), (Whole(1, 9, KiB), MiB), (Whole(1, 3, KiB), MiB) };
        Assert.Equal([(2, 5), (1, 9), (1, 3)], FirstFill.SmallAreasFirst(Each(chunks), new ReadBudget(MiB)));
    }

    [Fact]
    public void NoMoreThanTheLimitIsChosen()
    {
        var chunks = Enumerable.Range(0, 100).Select(i => (Whole(1, i, 640 * KiB), 8 * MiB));
        List<(int PagesId, int Index)> first = FirstFill.SmallAreasFirst(Each(chunks), new ReadBudget(32 * MiB));
        Assert.Equal(51, first.Count); // 51 x 640 KiB fit in 32 MiB, 52 do not
        Assert.Equal(Enumerable.Range(0, 51).Select(i => (1, i)), first);
    }

    [Fact]
    public void AChunkHoldingPagesOfSeveralAreasIsChosenOnceAtItsSmallestAreasPlace()
    {
        // Chunk (1, 1) ends one large area and starts a small one; a forked child has the same chunk in a larger area.
        var chunks = new[]
        {
            (Whole(1, 0, KiB), 64 * KiB), (Whole(1, 1, KiB), 64 * KiB), (Whole(1, 1, KiB), 16 * KiB), (Whole(1, 2, KiB), 16 * KiB), (Whole(1, 1, KiB), 128 * KiB),
        };
        Assert.Equal([(1, 1), (1, 2), (1, 0)], FirstFill.SmallAreasFirst(Each(chunks), new ReadBudget(MiB)));
    }

    [Fact]
    public void SlicesOfOneChunkCountItOnceAgainstTheBudget()
    {
        // 40 one-page slices of one 512 KiB chunk of the packs: reading one reads them all, so all 40 fit in 1 MiB.
        var slices = Enumerable.Range(0, 40).Select(i => (Slice(1, i, pack: 2, offset: 0, 512 * KiB), 64 * KiB)).ToList();
        Assert.Equal(40, FirstFill.SmallAreasFirst(Each(slices), new ReadBudget(MiB)).Count);
        // Slices of three such chunks do not fit in 1 MiB: those of the third are left out.
        var threeChunks = Enumerable.Range(0, 30).Select(i => (Slice(1, i, pack: 2, offset: i / 10 * 512 * KiB, 512 * KiB), 64 * KiB)).ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (1, i)), FirstFill.SmallAreasFirst(Each(threeChunks), new ReadBudget(MiB)));
    }

    [Fact]
    public void WhatTheSmallerAreasReadAlreadyCostsWhatTheAppWroteNothing()
    {
        // A written slice of a chunk the smaller areas chose already is read with it; the next chunk is over the budget.
        FillChunk heap = Slice(1, 1, pack: 2, offset: 0, 512 * KiB), writtenBeside = Slice(1, 9, pack: 2, offset: 0, 512 * KiB);
        FirstFillOrder order = FirstFill.Order(null, [writtenBeside, Whole(1, 10, 640 * KiB)], anyReused: true, Each([(heap, 512 * KiB)]), MiB);
        Assert.Equal([(1, 1)], order.SmallAreas);
        Assert.Equal([(1, 9)], order.Written);
    }

    [Fact]
    public void AfterWhatTheAppTouchedFirstTheSmallerAreasGetTheBudgetLeftAndNoChunkTwice()
    {
        // 30 MiB touched first, chunk (1, 1) among it: of the smaller areas' chunks, (1, 1) is not chosen again,
        // and only 2 MiB is left for the rest (three of 640 KiB fit, a fourth does not).
        var chunks = Enumerable.Range(0, 10).Select(i => (Whole(1, i, 640 * KiB), 4 * MiB)).Append((Whole(1, 20, 640 * KiB), 64 * MiB)).ToList();
        FirstFillOrder order = FirstFill.Order([Whole(1, 1, 640 * KiB), Whole(1, 30, 30 * MiB - 640 * KiB)], [], anyReused: false, Each(chunks), 32 * MiB);
        Assert.Equal([(1, 1), (1, 30)], order.Touched);
        Assert.Equal([(1, 0), (1, 2), (1, 3)], order.SmallAreas);
        Assert.Empty(FirstFill.Order([Whole(1, 30, 32 * MiB)], [], anyReused: false, Each(chunks), 32 * MiB).SmallAreas);
    }

    [Fact]
    public void AnAreasChunksAreListedNoFurtherThanTheBudgetReaches()
    {
        int listed = 0;
        IEnumerable<FillChunk> Counted(int pagesId) => Enumerable.Range(0, 1000).Select(i =>
        {
            listed++;
            return Whole(pagesId, i, 640 * KiB);
        });
        List<(int PagesId, int Index)> first = FirstFill.SmallAreasFirst([(4 * MiB, Counted(1)), (MiB, Counted(2))], new ReadBudget(32 * MiB));
        Assert.Equal(Enumerable.Range(0, 51).Select(i => (2, i)), first); // the smaller area first: 51 of its chunks fit
        Assert.Equal(52, listed); // the one that did not fit ended it; the larger area was never listed
    }

    [Fact]
    public void NoChunksNoneChosen() => Assert.Empty(FirstFill.SmallAreasFirst(Each([]), new ReadBudget(32 * MiB)));

    private static readonly (FillChunk Chunk, long AreaBytes)[] Areas =
        [(Whole(1, 7, MiB), 64 * KiB), (Whole(1, 8, MiB), 2048 * MiB), (Whole(1, 1, MiB), 64 * KiB)];

    [Fact]
    public void WhatTheAppTouchedFirstComesFirstInThatOrderThenTheSmallerAreasAndNothingItWrote()
    {
        FirstFillOrder order = FirstFill.Order([Whole(1, 3, MiB), Whole(1, 1, MiB)], [Whole(1, 5, MiB)], anyReused: true, Each(Areas), 32 * MiB);
        Assert.Equal([(1, 3), (1, 1)], order.Touched);
        Assert.Empty(order.Written);
        Assert.Equal([(1, 7)], order.SmallAreas); // (1, 1) is chosen already; (1, 8) is bulk data
    }

    [Fact]
    public void AListOfFirstTouchesNoneOfWhichIsLazyChoosesNothingItWrote()
    {
        FirstFillOrder order = FirstFill.Order([], [Whole(1, 5, MiB)], anyReused: true, Each(Areas), 32 * MiB);
        Assert.Empty(order.Touched);
        Assert.Empty(order.Written);
        Assert.Equal([(1, 7), (1, 1)], order.SmallAreas);
    }

    [Fact]
    public void WithNoFirstTouchesTheSmallerAreasComeFirstThenWhatItWroteOnlyWhenAChunkWasReused()
    {
        FirstFillOrder order = FirstFill.Order(null, [Whole(1, 5, MiB), Whole(1, 6, MiB)], anyReused: true, Each(Areas), 32 * MiB);
        Assert.Equal([(1, 7), (1, 1)], order.SmallAreas);
        Assert.Equal([(1, 5), (1, 6)], order.Written);
        FirstFillOrder first = FirstFill.Order(null, [Whole(1, 5, MiB), Whole(1, 6, MiB)], anyReused: false, Each(Areas), 32 * MiB);
        Assert.Empty(first.Written); // a first checkpoint: every chunk is new, and says nothing
        Assert.Equal([(1, 7), (1, 1)], first.SmallAreas);
    }

    [Fact]
    public void WhatTheAppTouchedOrWroteStopsAtTheBudget()
    {
        FirstFillOrder full = FirstFill.Order([.. Enumerable.Range(0, 20).Select(i => Whole(2, i, 2 * MiB))], [], anyReused: false, Each(Areas), 32 * MiB);
        Assert.Equal(16, full.Touched.Count); // 16 x 2 MiB fill the 32 MiB
        Assert.Empty(full.SmallAreas);
        FirstFillOrder room = FirstFill.Order(null, [Whole(2, 0, 29 * MiB), Whole(2, 1, 2 * MiB)], anyReused: true, Each(Areas), 32 * MiB);
        Assert.Equal([(1, 7), (1, 1)], room.SmallAreas); // 2 MiB first
        Assert.Equal([(2, 0)], room.Written); // 29 MiB fits beside them, 2 MiB more does not
    }

    /// <summary>Each chunk as an area of its own, of the size given with it, in the given order.</summary>
    private static IEnumerable<(long AreaBytes, IEnumerable<FillChunk> Chunks)> Each(IEnumerable<(FillChunk Chunk, long AreaBytes)> chunks) =>
        chunks.Select(c => (c.AreaBytes, (IEnumerable<FillChunk>)[c.Chunk]));

    /// <summary>A piece that is a whole chunk of the packs (named here by its image and index).</summary>
    private static FillChunk Whole(int pagesId, int index, long bytes) => new((pagesId, index), (1000 + pagesId, index), bytes);

    private static FillChunk Slice(int pagesId, int index, long pack, long offset, long wholeBytes) => new((pagesId, index), (pack, offset), wholeBytes);
}

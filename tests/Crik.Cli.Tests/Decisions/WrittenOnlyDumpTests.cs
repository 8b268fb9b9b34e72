using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

[Trait("Category", "Unit")]
public sealed class WrittenOnlyDumpTests
{
    [Fact]
    public void ADumpReadsOnlyWhatWasWrittenWhenTheMemoryWasProtectedAtTheCommittedPreviousCheckpoint() =>
        Assert.Null(WrittenOnlyDump.WhyWhole(tracking: true, criuCan: true, protectedAtPrevious: true, appRunsOn: false, memoryArriving: false, onPreDumps: false));

    [Fact]
    public void WithoutSuchACheckpointADumpAfterWhichTheAppRunsOnReadsOnlyWhatItWroteAfterACopyOfAllOfIt() =>
        Assert.Null(WrittenOnlyDump.WhyWhole(tracking: true, criuCan: true, protectedAtPrevious: false, appRunsOn: true, memoryArriving: false, onPreDumps: false));

    [Theory]
    [InlineData(false, true, true, true, false, false, "trackWrites is off")]
    [InlineData(true, false, true, true, false, false, "this CRIU lacks crik's patch")]
    [InlineData(true, true, false, false, false, false, "no committed checkpoint since crik began tracking")]
    [InlineData(true, true, true, true, true, false, "still arriving")]
    [InlineData(true, true, false, true, true, false, "still arriving")]
    [InlineData(true, true, true, true, false, true, "pre-dumps")]
    public void OtherwiseItReadsAllOfTheMemoryAndSaysWhy(bool tracking, bool criuCan, bool protectedAtPrevious, bool appRunsOn, bool memoryArriving, bool onPreDumps,
        string why) =>
        Assert.Contains(why, WrittenOnlyDump.WhyWhole(tracking, criuCan, protectedAtPrevious, appRunsOn, memoryArriving, onPreDumps), StringComparison.Ordinal);

    [Fact]
    public void APreviousCheckpointCutIntoTooManySlicesIsGathered()
    {
        long gib = 1L << 30;
        // 1 GiB in 32768 pieces is 32 KiB a piece: still fine; one piece more is not.
        Assert.False(WrittenOnlyDump.Gathers(32768, gib, gib, appEndsAfter: false));
        Assert.True(WrittenOnlyDump.Gathers(32769, gib, gib, appEndsAfter: false));
        // A small app may have a few thousand pieces whatever its size.
        Assert.False(WrittenOnlyDump.Gathers(4096, 1 << 20, 1 << 20, appEndsAfter: false));
        Assert.True(WrittenOnlyDump.Gathers(4097, 1 << 20, 1 << 20, appEndsAfter: false));
        Assert.Contains("in 32769 pieces", WrittenOnlyDump.WhyNotGathered(32769, "its pagemaps could not be read"), StringComparison.Ordinal);
    }

    [Fact]
    public void APreviousCheckpointWhoseRestoreWouldReadHalfAsMuchAgainIsGathered()
    {
        long gib = 1L << 30;
        Assert.False(WrittenOnlyDump.Gathers(2000, gib, gib * 3 / 2, appEndsAfter: false));
        Assert.True(WrittenOnlyDump.Gathers(2000, gib, (gib * 3 / 2) + 1, appEndsAfter: false));
    }

    [Fact]
    public void ACheckpointAfterWhichTheAppEndsDoesNotGatherPieces() =>
        // A SIGTERM's checkpoint: gathering a 1 GiB app's pieces would take seconds as its node goes away.
        Assert.False(WrittenOnlyDump.Gathers(100_000, 1L << 30, 4L << 30, appEndsAfter: true));
}

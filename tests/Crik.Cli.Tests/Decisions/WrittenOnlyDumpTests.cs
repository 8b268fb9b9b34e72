using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

[Trait("Category", "Unit")]
public sealed class WrittenOnlyDumpTests
{
    [Fact]
    public void ADumpReadsOnlyWhatWasWrittenWhenTheMemoryWasProtectedAtTheCommittedPreviousCheckpoint() =>
        Assert.Null(WrittenOnlyDump.WhyWhole(tracking: true, criuCan: true, protectedAtPrevious: true, memoryArriving: false, onPreDumps: false));

    [Theory]
    [InlineData(false, true, true, false, false, "trackWrites is off")]
    [InlineData(true, false, true, false, false, "this CRIU lacks crik's patch")]
    [InlineData(true, true, false, false, false, "no committed checkpoint since crik began tracking")]
    [InlineData(true, true, true, true, false, "still arriving")]
    [InlineData(true, true, true, false, true, "pre-dumps")]
    public void OtherwiseItReadsAllOfTheMemoryAndSaysWhy(bool tracking, bool criuCan, bool protectedAtPrevious, bool memoryArriving, bool onPreDumps, string why) =>
        Assert.Contains(why, WrittenOnlyDump.WhyWhole(tracking, criuCan, protectedAtPrevious, memoryArriving, onPreDumps), StringComparison.Ordinal);

    [Fact]
    public void APreviousCheckpointCutIntoTooManySlicesMakesADumpOfEverything()
    {
        long gib = 1L << 30;
        // 1 GiB in 8192 pieces is 128 KiB a piece: still fine; one piece more is not.
        Assert.Null(WrittenOnlyDump.WhyWhole(true, true, true, false, false, previousPieces: 8192, previousBytes: gib));
        Assert.Contains("in 8193 pieces", WrittenOnlyDump.WhyWhole(true, true, true, false, false, previousPieces: 8193, previousBytes: gib),
            StringComparison.Ordinal);
        // A small app may have a few thousand pieces whatever its size.
        Assert.Null(WrittenOnlyDump.WhyWhole(true, true, true, false, false, previousPieces: 4096, previousBytes: 1 << 20));
        Assert.NotNull(WrittenOnlyDump.WhyWhole(true, true, true, false, false, previousPieces: 4097, previousBytes: 1 << 20));
    }

    [Fact]
    public void ACheckpointAfterWhichTheAppEndsDoesNotStopItToGatherPieces()
    {
        // A SIGTERM's checkpoint: reading all of a 1 GiB app's memory would stop it for seconds as its node goes away.
        Assert.Null(WrittenOnlyDump.WhyWhole(true, true, true, false, false, previousPieces: 100_000, previousBytes: 1L << 30, appEndsAfter: true));
        Assert.NotNull(WrittenOnlyDump.WhyWhole(true, true, true, false, false, previousPieces: 100_000, previousBytes: 1L << 30, appEndsAfter: false));
    }
}

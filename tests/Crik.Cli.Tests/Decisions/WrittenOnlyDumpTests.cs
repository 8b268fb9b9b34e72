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
    public void WritesSpreadOverMoreThanHalfOfThePreviousCheckpointsChunksMakeADumpOfEverything()
    {
        Assert.Null(WrittenOnlyDump.WhyWhole(true, true, true, false, false, touchedBytes: 50, previousBytes: 100));
        Assert.Contains("spread over 51 % of the previous checkpoint's chunks",
            WrittenOnlyDump.WhyWhole(true, true, true, false, false, touchedBytes: 51, previousBytes: 100), StringComparison.Ordinal);
        Assert.Null(WrittenOnlyDump.WhyWhole(true, true, true, false, false, touchedBytes: null, previousBytes: 100));
    }
}

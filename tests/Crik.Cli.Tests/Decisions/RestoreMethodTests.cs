using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.HostCompatibility;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>How a chosen generation is restored: lazily, eagerly from a stream, or from image files.</summary>
[Trait("Category", "Unit")]
public sealed class RestoreMethodTests
{
    internal const long Allowed = 1L << 30;

    internal static Manifest Streamed(long imageBytes, long largestArea = 1 << 20) => new()
    {
        ImageBytes = imageBytes,
        LargestPrivateArea = largestArea,
        Files = [new ManifestFile("pages-1.img", imageBytes, [], [new ChunkRef("c1", 1, 0, 10)])],
    };

    [Fact]
    public void LazyRestoresAreWantedAsConfigured()
    {
        Assert.False(RestoreMethod.LazyWanted(Streamed(1L << 40), LazyRestoreMode.Off));
        Assert.True(RestoreMethod.LazyWanted(Streamed(1), LazyRestoreMode.On));
        Assert.False(RestoreMethod.LazyWanted(Streamed(CrikConfig.LazyRestoreFrom - 1), LazyRestoreMode.Auto));
        Assert.True(RestoreMethod.LazyWanted(Streamed(CrikConfig.LazyRestoreFrom), LazyRestoreMode.Auto));
    }

    [Fact]
    public void AGenerationOfImageFilesIsNeverRestoredLazily() =>
        Assert.False(RestoreMethod.LazyWanted(new Manifest { ImageBytes = 1L << 40, Files = [new ManifestFile("pages-1.img", 1, [])] }, LazyRestoreMode.On));

    [Fact]
    public void AnEarlierLazyRestoreWhoseMemoryFailedMakesItEager()
    {
        List<RestoreRecord> restores = [new(1, null, "", false, LoadFailed: true)];
        Assert.Contains("could not bring all its memory in", RestoreMethod.WhyNotLazy(Streamed(1), restores, Allowed, 4096, null), StringComparison.Ordinal);
    }

    [Fact]
    public void AnAreaLargerThanTheNodeMapsWritableMakesItEager() =>
        Assert.Contains("vm.overcommit_memory=1", RestoreMethod.WhyNotLazy(Streamed(1, largestArea: Allowed + 1), [], Allowed, 4096, null), StringComparison.Ordinal);

    [Fact]
    public void ANodeWithoutLazyRestoresSaysWhy()
    {
        Assert.Equal("no userfaultfd", RestoreMethod.WhyNotLazy(Streamed(1), [], Allowed, 4096, "no userfaultfd"));
        Assert.Null(RestoreMethod.WhyNotLazy(Streamed(1), [], Allowed, 4096, null));
    }

    [Fact]
    public void PagesOfAnotherSizeOrNotOf4KiBMakeItEagerWithTheSizesNamed()
    {
        Manifest taken16K = Streamed(1) with { Host = new HostFacts("arm64", "6.1", []) { PageSize = 16384 } };
        Assert.Equal("it was taken with 16 KiB pages and this node has 4 KiB pages", RestoreMethod.WhyNotLazy(taken16K, [], Allowed, 4096, null));
        Assert.Equal("this node has 16 KiB pages, and crik fills a lazily restored app's memory in 4 KiB pages only",
            RestoreMethod.WhyNotLazy(taken16K, [], Allowed, 16384, null));
        Manifest taken4K = Streamed(1) with { Host = new HostFacts("x86_64", "6.1", []) { PageSize = 4096 } };
        Assert.Equal("it was taken with 4 KiB pages and this node has 64 KiB pages", RestoreMethod.WhyNotLazy(taken4K, [], Allowed, 65536, null));
        Assert.Null(RestoreMethod.WhyNotLazy(taken4K, [], Allowed, 4096, null));
        // A checkpoint from before crik recorded its page size was taken with 4 KiB pages: crik could not fill other sizes then either.
        Assert.Null(RestoreMethod.WhyNotLazy(Streamed(1), [], Allowed, 4096, null));
        Assert.NotNull(RestoreMethod.WhyNotLazy(Streamed(1), [], Allowed, 16384, null));
    }

    [Fact]
    public void ACheckpointRecordsThePageSizeOfItsNode() =>
        Assert.Equal(Environment.SystemPageSize, HostFacts.Current().PageSize);

    [Fact]
    public void AStreamedGenerationWithAHugeAreaGoesFromFilesAtOnce()
    {
        Assert.True(RestoreMethod.FromFilesAtOnce(Streamed(1, largestArea: Allowed + 1), Allowed));
        Assert.False(RestoreMethod.FromFilesAtOnce(Streamed(1, largestArea: Allowed), Allowed));
    }

    [Fact]
    public void OnlyAFailureToMapMemoryFromAWholeStreamIsTriedAgainFromFiles()
    {
        const string mapError = "Error (criu/mem.c:1): Unable to map ANON_VMA: Cannot allocate memory";
        Assert.True(RestoreMethod.RetryFromFiles(mapError, imagesArrivedWhole: true));
        Assert.False(RestoreMethod.RetryFromFiles(mapError, imagesArrivedWhole: false));
        Assert.False(RestoreMethod.RetryFromFiles("Error (criu/files.c:1): Can't open file", imagesArrivedWhole: true));
    }

    [Fact]
    public void HugePagesCriuCannotReadFromAStreamAreTriedAgainFromFilesWhateverTheStreamSaid()
    {
        const string hugePages = "pie: 1: Error (criu/pie/restorer.c:1907): Can't read pages data (-29)";
        Assert.True(RestoreMethod.RetryFromFiles(hugePages, imagesArrivedWhole: true));
        Assert.True(RestoreMethod.RetryFromFiles(hugePages, imagesArrivedWhole: false));
        Assert.False(RestoreMethod.RetryFromFiles("pie: 1: Error (criu/pie/restorer.c:1907): Can't read pages data (-5)", imagesArrivedWhole: true));
    }

    [Fact]
    public void ACpuMismatchRefusesUnlessTheUserSaysRestore()
    {
        Assert.True(RestoreMethod.RestoresDespite(null, CpuMismatchPolicy.Refuse));
        Assert.False(RestoreMethod.RestoresDespite("this node lacks avx512f", CpuMismatchPolicy.Refuse));
        Assert.True(RestoreMethod.RestoresDespite("this node lacks avx512f", CpuMismatchPolicy.Restore));
    }

    [Fact]
    public void ProcessesStoppedByAnotherSignalThanSigstopAreRestoredOnCriksFillOnlyWithAShellForTheScript()
    {
        Assert.Null(RestoreMethod.WhyNotOnCriksFill([], "/bin/sh", shellPresent: false));
        Assert.Null(RestoreMethod.WhyNotOnCriksFill(["12 by SIGTSTP"], "/bin/sh", shellPresent: true));
        Assert.Equal("1 of its processes were stopped at the checkpoint by another signal than SIGSTOP (12 by SIGTSTP), and stopping them so "
            + "again after CRIU's --leave-stopped needs /bin/sh, which this container lacks", RestoreMethod.WhyNotOnCriksFill(["12 by SIGTSTP"], "/bin/sh", shellPresent: false));
    }
}

using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.Model;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>How a chosen generation is restored: lazily, eagerly from a stream, or from image files.</summary>
[Trait("Category", "Unit")]
public sealed class RestoreMethodTests
{
    private const long Allowed = 1L << 30;

    private static Manifest Streamed(long imageBytes, long largestArea = 1 << 20) => new()
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
        Assert.Contains("could not bring all its memory in", RestoreMethod.WhyNotLazy(Streamed(1), restores, Allowed, () => null), StringComparison.Ordinal);
    }

    [Fact]
    public void AnAreaLargerThanTheNodeMapsWritableMakesItEager() =>
        Assert.Contains("vm.overcommit_memory=1", RestoreMethod.WhyNotLazy(Streamed(1, largestArea: Allowed + 1), [], Allowed, () => null), StringComparison.Ordinal);

    [Fact]
    public void ANodeWithoutLazyRestoresSaysWhy()
    {
        Assert.Equal("no userfaultfd", RestoreMethod.WhyNotLazy(Streamed(1), [], Allowed, () => "no userfaultfd"));
        Assert.Null(RestoreMethod.WhyNotLazy(Streamed(1), [], Allowed, () => null));
    }

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
    public void ACpuMismatchRefusesUnlessTheUserSaysRestore()
    {
        Assert.True(RestoreMethod.RestoresDespite(null, CpuMismatchPolicy.Refuse));
        Assert.False(RestoreMethod.RestoresDespite("this node lacks avx512f", CpuMismatchPolicy.Refuse));
        Assert.True(RestoreMethod.RestoresDespite("this node lacks avx512f", CpuMismatchPolicy.Restore));
    }
}

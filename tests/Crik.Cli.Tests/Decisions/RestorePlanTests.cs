using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>The restores a chosen generation's plan tries, in order, each with its reason, and when one falls back to the next.</summary>
[Trait("Category", "Unit")]
public sealed class RestorePlanTests
{
    private const long Allowed = RestoreMethodTests.Allowed;

    private static readonly NodeFacts Able = new(LazyUnavailable: null, Allowed, PageSize: 4096, ShellPresent: true);

    private static Manifest Streamed(long imageBytes, long largestArea = 1 << 20) => RestoreMethodTests.Streamed(imageBytes, largestArea);

    private static RestoreWay[] Ways(RestorePlan plan) => [.. plan.Ways.Select(w => w.Way)];

    [Fact]
    public void ALazyRestoreFallsBackToTheStreamWhichFallsBackToFiles()
    {
        RestorePlan plan = RestorePlan.For(Streamed(1), [], LazyRestoreMode.On, Able);
        Assert.Equal([RestoreWay.Lazy, RestoreWay.FromStream, RestoreWay.FromWrittenFiles], Ways(plan));
        Assert.Equal("lazyRestore asks for it", plan.Ways[0].Why);
        Assert.Equal("when the restore before it fails before the app ran", plan.Ways[1].Why);
        Assert.Contains("cannot lay out the app's memory from a stream", plan.Ways[2].Why, StringComparison.Ordinal);
        Assert.Empty(plan.Said);
    }

    [Fact]
    public void AnEagerRestoreOfAStreamedGenerationRunsOnCriksFillFirst()
    {
        Assert.Equal([RestoreWay.OnCriksFill, RestoreWay.FromStream, RestoreWay.FromWrittenFiles], Ways(RestorePlan.For(Streamed(1L << 40), [], LazyRestoreMode.Off, Able)));
        Assert.Equal([RestoreWay.OnCriksFill, RestoreWay.FromStream, RestoreWay.FromWrittenFiles],
            Ways(RestorePlan.For(Streamed(CrikConfig.LazyRestoreFrom - 1), [], LazyRestoreMode.Auto, Able)));
        Assert.Equal(RestoreWay.Lazy, RestorePlan.For(Streamed(CrikConfig.LazyRestoreFrom), [], LazyRestoreMode.Auto, Able).Ways[0].Way);
    }

    [Fact]
    public void AGenerationOfImageFilesIsRestoredFromItsFilesAlone()
    {
        RestorePlan plan = RestorePlan.For(new Manifest { ImageBytes = 1L << 40, Files = [new ManifestFile("pages-1.img", 1, [])] }, [], LazyRestoreMode.On, Able);
        Assert.Equal([RestoreWay.FromItsFiles], Ways(plan));
        Assert.Empty(plan.Said);
    }

    [Fact]
    public void WithoutUserfaultfdALazyRestoreGoesFromTheStreamAndSaysWhy()
    {
        RestorePlan plan = RestorePlan.For(Streamed(1), [], LazyRestoreMode.On, Able with { LazyUnavailable = "no userfaultfd" });
        Assert.Equal([RestoreWay.FromStream, RestoreWay.FromWrittenFiles], Ways(plan));
        Assert.Equal("no userfaultfd", plan.Ways[0].Why);
        Assert.Equal(["restoring it with all its memory first, not lazily: no userfaultfd"], plan.Said);
    }

    [Fact]
    public void WithoutUserfaultfdOneOnCriksFillGoesFromTheStreamAndSaysWhy()
    {
        RestorePlan plan = RestorePlan.For(Streamed(1), [], LazyRestoreMode.Off, Able with { LazyUnavailable = "no userfaultfd" });
        Assert.Equal([RestoreWay.FromStream, RestoreWay.FromWrittenFiles], Ways(plan));
        Assert.Equal(["restoring it from CRIU's stream, not on crik's fill: no userfaultfd"], plan.Said);
    }

    [Fact]
    public void AnEarlierLazyRestoreWhoseMemoryFailedMakesItGoFromTheStream()
    {
        RestorePlan plan = RestorePlan.For(Streamed(1), [new RestoreRecord(1, null, "", Survived: false, LoadFailed: true)], LazyRestoreMode.On, Able);
        Assert.Equal([RestoreWay.FromStream, RestoreWay.FromWrittenFiles], Ways(plan));
        Assert.Equal(["restoring it with all its memory first, not lazily: an earlier lazy restore of it could not bring all its memory in"], plan.Said);
    }

    [Fact]
    public void PagesOfAnotherSizeKeepItOffCriksFill()
    {
        RestorePlan plan = RestorePlan.For(Streamed(1), [], LazyRestoreMode.Off, Able with { PageSize = 65536 });
        Assert.Equal([RestoreWay.FromStream, RestoreWay.FromWrittenFiles], Ways(plan));
        Assert.Equal(["restoring it from CRIU's stream, not on crik's fill: it was taken with 4 KiB pages and this node has 64 KiB pages"], plan.Said);
    }

    [Fact]
    public void AnAreaLargerThanTheNodeAllowsGoesFromFilesAtOnceAndALazyRestoreAskedForIsSaidPassedOver()
    {
        RestorePlan lazy = RestorePlan.For(Streamed(1, largestArea: Allowed + 1), [], LazyRestoreMode.On, Able);
        Assert.Equal([RestoreWay.FromWrittenFiles], Ways(lazy));
        Assert.Equal(2, lazy.Said.Count);
        Assert.Matches(@"^restoring it with all its memory first, not lazily: the app has a [\d.]+ GiB memory area, more than this node lets CRIU map writable", lazy.Said[0]);
        Assert.EndsWith("restoring it from image files", lazy.Said[1], StringComparison.Ordinal);
        Assert.Equal(lazy.Said[1], lazy.Ways[0].Why);
        RestorePlan filled = RestorePlan.For(Streamed(1, largestArea: Allowed + 1), [], LazyRestoreMode.Off, Able);
        Assert.Equal([RestoreWay.FromWrittenFiles], Ways(filled));
        Assert.Equal([filled.Ways[0].Why], filled.Said);
        Assert.Equal([RestoreWay.OnCriksFill, RestoreWay.FromStream, RestoreWay.FromWrittenFiles],
            Ways(RestorePlan.For(Streamed(1, largestArea: Allowed), [], LazyRestoreMode.Off, Able)));
    }

    [Fact]
    public void ALazyRestoreOrOneOnCriksFillAlwaysFallsBackOneFromTheStreamOnlyWhenCriuCouldNotLayOutMemory()
    {
        Assert.True(RestorePlan.FallsBack(RestoreWay.Lazy, "", imagesArrivedWhole: false));
        Assert.True(RestorePlan.FallsBack(RestoreWay.OnCriksFill, "", imagesArrivedWhole: true));
        const string mapError = "Error (criu/mem.c:1): Unable to map ANON_VMA: Cannot allocate memory";
        Assert.True(RestorePlan.FallsBack(RestoreWay.FromStream, mapError, imagesArrivedWhole: true));
        Assert.False(RestorePlan.FallsBack(RestoreWay.FromStream, mapError, imagesArrivedWhole: false));
        Assert.False(RestorePlan.FallsBack(RestoreWay.FromStream, "Error (criu/files.c:1): Can't open file", imagesArrivedWhole: true));
        Assert.False(RestorePlan.FallsBack(RestoreWay.FromWrittenFiles, mapError, imagesArrivedWhole: true));
        Assert.False(RestorePlan.FallsBack(RestoreWay.FromItsFiles, mapError, imagesArrivedWhole: true));
    }
}

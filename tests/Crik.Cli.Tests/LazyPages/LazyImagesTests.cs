using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// Which images are whole before CRIU's lazy-pages daemon starts: those it reads before it listens
/// (criu/pstree.c, prepare_dummy_pstree). One it opens while crik is still writing it reads as damaged,
/// and the restore is eager for no reason.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LazyImagesTests
{
    [Theory]
    [InlineData("inventory.img", true)]
    [InlineData("pstree.img", true)]
    [InlineData("ids-1.img", true)]
    [InlineData("ids-4711.img", true)]
    [InlineData("pagemap-1.img", false)]
    [InlineData("pages-1.img", false)]
    [InlineData("core-1.img", false)]
    [InlineData("ids-x.img", false)]
    [InlineData("mm-1.img", false)]
    public void TheDaemonsStartImagesAreTheInventoryTheTreeAndEachTasksIds(string name, bool atStart) =>
        Assert.Equal(atStart, LazyImages.ReadByDaemonAtStart(name));
}

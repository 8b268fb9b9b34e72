using Crik.Cli.Carrying;
using Xunit;

namespace Crik.Cli.Tests.Carrying;

[Trait("Category", "Unit")]
public class CarryRuleTests
{
    private static readonly DateTimeOffset Started = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Before = Started.AddSeconds(-5), After = Started.AddSeconds(5);

    private static readonly Mount Root = new("/", "/", "overlay", ReadOnly: false);
    private static readonly Mount Shm = new("/dev/shm", "/", "tmpfs", ReadOnly: false);
    private static readonly Mount Secret = new("/var/run/secrets/token", "/", "tmpfs", ReadOnly: true);
    private static readonly Mount Volume = new("/data", "/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pvc-1/mount", "ext4", ReadOnly: false);
    private static readonly Mount EmptyDir = new("/cache", "/var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/cache", "ext4", ReadOnly: false);

    [Fact]
    public void TheWritableLayerIsCarriedTheImageIsNot()
    {
        Assert.True(CarryRule.WillBeMissing(Root, After, Started));
        Assert.True(CarryRule.WillBeMissing(Root, Started, Started));
        Assert.False(CarryRule.WillBeMissing(Root, Before, Started));
    }

    [Fact]
    public void WritableTmpfsAndEmptyDirDieWithTheContainerWhateverTheirTimes()
    {
        Assert.True(CarryRule.WillBeMissing(Shm, Before, Started));
        Assert.True(CarryRule.WillBeMissing(EmptyDir, Before, Started));
    }

    [Fact]
    public void VolumesAndReadOnlyTmpfsComeBackWithTheNextContainer()
    {
        Assert.False(CarryRule.WillBeMissing(Volume, After, Started));
        Assert.False(CarryRule.WillBeMissing(Secret, After, Started));
    }
}

using Crik.Cli.Carrying;
using Xunit;

namespace Crik.Cli.Tests.Carrying;

/// <summary>An imageDir on the container's own root file system (the PVC was not mounted) is named at start and by crik check.</summary>
[Trait("Category", "Unit")]
public class ImageDirMountTests
{
    // A pod's /proc/self/mountinfo (trimmed): the overlay root, a PVC at /var/lib/crik, an emptyDir at /scratch.
    private static readonly MountTable Pod = MountTable.Parse(
    [
        "1036 929 0:67 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containers/storage/overlay/l/A,upperdir=/u,workdir=/w",
        "1037 1036 0:70 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
        "1045 1036 259:3 /var/lib/kubelet/pods/u1/volumes/kubernetes.io~csi/pvc-1/mount /var/lib/crik rw,relatime - ext4 /dev/nvme1n1 rw",
        "1046 1036 254:0 /var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir/scratch /scratch rw,relatime - ext4 /dev/vda rw",
    ]);

    [Theory]
    [InlineData("/etc/checkpoint")]
    [InlineData("/var/lib/crikx/images")]
    [InlineData("/var/lib")]
    public void AnImageDirWhoseNearestMountPointIsTheRootIsNamedWithWhatToDo(string imageDir)
    {
        string warning = ImageDirMount.NotOnAVolume(imageDir, Pod)!;
        Assert.Equal($"imageDir {imageDir} is on the container's own root file system, not on a mounted volume, so its checkpoints will not outlive "
            + $"this container and every new pod starts fresh: mount a PersistentVolumeClaim there (volumeMounts mountPath: {imageDir}) or use s3://", warning);
    }

    [Theory]
    [InlineData("/var/lib/crik")]
    [InlineData("/var/lib/crik/")]
    [InlineData("/var/lib/crik/images")]
    [InlineData("/scratch/images")]
    [InlineData("s3://bucket/app")]
    public void AnImageDirOnAMountedVolumeOrInObjectStorageIsNot(string imageDir) =>
        Assert.Null(ImageDirMount.NotOnAVolume(imageDir, Pod));

    [Fact]
    public void AMountTableThatCouldNotBeReadWarnsOfNothing() =>
        Assert.Null(ImageDirMount.NotOnAVolume("/etc/checkpoint", MountTable.Parse([])));
}

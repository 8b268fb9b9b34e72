using Crik.Cli.Carrying;
using Xunit;

namespace Crik.Cli.Tests.Carrying;

[Trait("Category", "Unit")]
public class MountTableTests
{
    // As a podman container's /proc/self/mountinfo shows them (trimmed).
    private static readonly string[] ContainerMounts =
    [
        "1036 929 0:67 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containers/storage/overlay/l/A,upperdir=/u,workdir=/w",
        "1037 1036 0:70 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
        "1038 1036 0:71 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755",
        "1043 1038 0:69 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=64000k",
        "1045 1036 254:0 /var/lib/containers/storage/volumes/pgdata/_data /var/lib/postgresql rw,relatime master:1 - ext4 /dev/vda rw",
        "1046 1036 254:0 /var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir/cache /cache rw,relatime - ext4 /dev/vda rw",
        "1047 1036 0:80 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - tmpfs tmpfs rw,size=100k",
        "1048 1036 0:81 / /my\\040data rw,relatime - tmpfs tmpfs rw",
        "1049 1036 0:82 / /dev/shm rw,relatime shared:5 - tmpfs shm2 ro",
    ];

    private static readonly MountTable Table = MountTable.Parse(ContainerMounts);

    [Theory]
    [InlineData("/var/log/app/hits.log", "/", "overlay")]
    [InlineData("/var/lib/postgresql/15/main/base/1", "/var/lib/postgresql", "ext4")]
    [InlineData("/var/lib/postgresqlx", "/", "overlay")]
    [InlineData("/cache/x", "/cache", "ext4")]
    [InlineData("/my data/f", "/my data", "tmpfs")]
    [InlineData("/dev/null", "/dev", "tmpfs")]
    public void APathIsOnTheDeepestMountThatContainsIt(string path, string mountPoint, string fileSystem)
    {
        Mount mount = Table.Containing(path)!;
        Assert.Equal((mountPoint, fileSystem), (mount.MountPoint, mount.FileSystem));
    }

    [Fact]
    public void OfMountsStackedOnOnePointTheLastIsTheOneSeen()
    {
        // The first /dev/shm is writable; the second, mounted over it, has a read-only super block.
        Assert.Equal(2, Table.Mounts.Count(m => m.MountPoint == "/dev/shm"));
        Assert.True(Table.Containing("/dev/shm/PostgreSQL.1")!.ReadOnly);
    }

    [Fact]
    public void ReadOnlyComesFromTheMountOrItsSuperBlockAndTheRootFromField4()
    {
        Assert.True(Table.Containing("/var/run/secrets/kubernetes.io/serviceaccount/token")!.ReadOnly);
        Assert.False(Table.Containing("/tmp/x")!.ReadOnly);
        Assert.Equal("/var/lib/containers/storage/volumes/pgdata/_data", Table.Containing("/var/lib/postgresql")!.Root);
    }

    [Fact]
    public void LinesItCannotReadAreLeftOut()
    {
        var table = MountTable.Parse(["", "garbage", "1 2 3 4 5 6 7 8", "36 35 98:0 / /x rw - ext4 /dev/root rw"]);
        Assert.Equal(["/x"], table.Mounts.Select(m => m.MountPoint));
    }
}

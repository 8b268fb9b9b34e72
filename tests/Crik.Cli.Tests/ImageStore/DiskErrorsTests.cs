using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// The errnos a network volume takes back (EIO, ESTALE) are the disk's own failures on a volume on this node's own disk
/// (<see cref="DiskErrorsBackend"/>), which no wait mends. The end-to-end twins are in <see cref="FailingVolumeTests"/>
/// (FUSE: waited for; ext4 on a loop device with a bad block: set aside).
/// </summary>
[Trait("Category", "Unit")]
public sealed class DiskErrorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-disk-errors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0x6969L, true)] // NFS
    [InlineData(0x65735546L, true)] // FUSE
    [InlineData(0xFE534D42L, true)] // SMB2
    [InlineData(0x00C36400L, true)] // Ceph
    [InlineData(0x01161970L, true)] // GFS2
    [InlineData(0x7461636FL, true)] // OCFS2
    [InlineData(FileSystemType.Ext4, false)]
    [InlineData(FileSystemType.Xfs, false)]
    [InlineData(0x9123683EL, false)] // btrfs
    [InlineData(FileSystemType.Tmpfs, false)]
    [InlineData(null, true)] // statfs failed: waiting loses nothing
    public void OnlyNetworkFileSystemsHaveFailuresThatPass(long? type, bool networked) =>
        Assert.Equal(networked, FileSystemType.IsNetworked(type));

    [Theory]
    [InlineData(5)] // EIO
    [InlineData(116)] // ESTALE
    public void OnThisNodesOwnDiskANetworkErrnoIsTheDisksAndSaysTheEntryCannotBeRead(int errno)
    {
        Assert.False(FileSystemType.IsNetworked(FileSystemType.Of(_dir)), $"{_dir} is expected on this node's own disk");
        var volume = new VolumeBackend(_dir, Serilog.Core.Logger.None);
        Assert.False(volume.OnOwnDisk, "before the image directory is opened its file system is unknown, and taken to be networked");
        volume.List([""]);
        Assert.True(volume.OnOwnDisk, "the file system is read when the image directory is opened");
        using var disk = new DiskErrorsBackend(new FailingBackend(volume, errno), volume);

        var failure = Assert.Throws<DiskFailureException>(() => disk.Describe("checkpoint-000001/manifest.json"));
        Assert.Equal(errno, failure.HResult);
        Assert.Contains("this node's own disk", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ReadFailure.Permanent, ReadFailures.Classify(failure));
        Assert.False(StoreFailures.SaysNothingOfTheEntry(failure));
        Assert.Equal(ReadFailure.Transient, ReadFailures.Classify(new IOException("as a network volume fails", errno)));
    }

    [Fact]
    public void FailuresOtherThanANetworksPassUnchanged()
    {
        var volume = new VolumeBackend(_dir, Serilog.Core.Logger.None);
        volume.List([""]);
        using var disk = new DiskErrorsBackend(new FailingBackend(volume, errno: 13), volume);
        var failure = Assert.Throws<IOException>(() => disk.Describe("checkpoint-000001/manifest.json"));
        Assert.Equal(13, failure.HResult);
    }

    [Fact]
    public void WhileTheFileSystemIsUnknownANetworkErrnoPassesToBeWaitedFor()
    {
        var volume = new VolumeBackend(_dir, Serilog.Core.Logger.None); // not opened yet
        using var disk = new DiskErrorsBackend(new FailingBackend(volume, errno: 5), volume);
        var failure = Assert.Throws<IOException>(() => disk.Describe("checkpoint-000001/manifest.json"));
        Assert.Equal(ReadFailure.Transient, ReadFailures.Classify(failure));
    }

    /// <summary>Every call fails with <paramref name="errno"/>, as a failed system call's IOException does.</summary>
    private sealed class FailingBackend(IStoreBackend inner, int errno) : BackendWrapper(inner)
    {
        protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work) =>
            throw new IOException($"a {operation.Name} failed", errno);
    }
}

using Crik.Cli.Chunks;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The wrapper over a volume that tells its disk's failures from a network's. On a network file system (NFS, a CSI driver's FUSE
/// mount) the errnos of a server or network away (EIO, ESTALE, ETIMEDOUT: <see cref="ReadFailures"/>) pass, and crik waits for them.
/// On this node's own disk (ext4, XFS, btrfs on a block device) the same errnos are the disk's own failures, a bad sector say,
/// which no wait mends: each becomes a <see cref="DiskFailureException"/>, which says the entry cannot be read, so a generation that
/// cannot be read is passed over for an older one instead of being waited for by every pod.
/// </summary>
/// <param name="volume">
/// The volume, which knows whether it is on this node's own disk from when it opened the image directory, so that no failure
/// asks a file system that may not answer.
/// </param>
internal sealed class DiskErrorsBackend(IStoreBackend inner, VolumeBackend volume) : BackendWrapper(inner)
{
    protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work)
    {
        try
        {
            return work(state);
        }
        catch (IOException e) when (ReadFailures.IsNetworkVolumeError(e))
        {
            if (volume.OnOwnDisk)
            {
                throw new DiskFailureException(e);
            }
            throw;
        }
    }
}

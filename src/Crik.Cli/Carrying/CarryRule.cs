namespace Crik.Cli.Carrying;

/// <summary>
/// Which files will not exist in a fresh container of the same image: those crik must carry with a
/// checkpoint. Pure, so every case is unit-tested.
/// </summary>
internal static class CarryRule
{
    /// <summary>Part of the host path of every Kubernetes emptyDir on disk, which dies with its pod.</summary>
    public const string EmptyDirMarker = "kubernetes.io~empty-dir";

    /// <summary>
    /// True for a file on the container's root file system changed (or made) since the container
    /// started, i.e. in its writable layer; for anything on a writable tmpfs (/dev/shm, a tmpfs /tmp,
    /// a memory emptyDir); and for anything on an emptyDir. False for files of the image itself and
    /// for volumes, which a new container of the pod gets again (read-only tmpfs mounts are secrets
    /// and projected volumes).
    /// </summary>
    public static bool WillBeMissing(Mount mount, DateTimeOffset changed, DateTimeOffset containerStarted)
    {
        if (mount.MountPoint == "/")
        {
            return changed >= containerStarted;
        }
        if (mount.FileSystem is "tmpfs" or "ramfs")
        {
            return !mount.ReadOnly;
        }
        return mount.Root.Contains(EmptyDirMarker, StringComparison.Ordinal);
    }
}

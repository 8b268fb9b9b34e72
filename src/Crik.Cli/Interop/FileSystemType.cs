namespace Crik.Cli.Interop;

/// <summary>Which kind of file system a file lives on (statfs's f_type, the magic numbers of linux/magic.h).</summary>
internal static unsafe class FileSystemType
{
    /// <summary>MQUEUE_MAGIC: the file system of POSIX message queues.</summary>
    public const long MessageQueue = 0x19800202;

    /// <summary>EXT4_SUPER_MAGIC (ext2 and ext3 too).</summary>
    public const long Ext4 = 0xEF53;

    /// <summary>XFS_SUPER_MAGIC.</summary>
    public const long Xfs = 0x58465342;

    /// <summary>TMPFS_MAGIC.</summary>
    public const long Tmpfs = 0x01021994;

    /// <summary>
    /// The file systems whose files live on a server across the network (linux/magic.h and the file systems' own sources):
    /// NFS, FUSE (a CSI driver's mount, virtiofs), CIFS and SMB, Ceph, 9P, AFS, Lustre, GPFS and BeeGFS; and the cluster file
    /// systems on a shared disk, GFS2 and OCFS2, whose reads fail while the node is cut off from its cluster's lock manager.
    /// </summary>
    private static readonly long[] Networked =
        [0x6969, 0x65735546, 0xFF534D42, 0xFE534D42, 0x517B, 0x00C36400, 0x01021997, 0x5346414F, 0x6B414653, 0x0BD00BD0, 0x47504653, 0x19830326,
            0x01161970, 0x7461636F];

    /// <summary>
    /// Whether files on <paramref name="type"/> live across the network, so that a read may fail while a server or the network
    /// is away and work again later. An unknown type (null: statfs failed) is taken to be networked: waiting loses nothing.
    /// </summary>
    public static bool IsNetworked(long? type) => type is not { } known || Networked.Contains(known);

    /// <summary>The f_type of the file system holding <paramref name="path"/>, following links; null when it cannot be read (gone, not permitted).</summary>
    public static long? Of(string path)
    {
        StatFsBuffer buffer = default;
        return Libc.StatFs(path, &buffer) == 0 ? buffer.Type : null;
    }

    /// <summary>The f_type of the file system holding the directory <paramref name="directory"/> has open; null when it cannot be read.</summary>
    public static long? Of(DirectoryHandle directory)
    {
        StatFsBuffer buffer = default;
        return Libc.FStatFs(directory.Fd, &buffer) == 0 ? buffer.Type : null;
    }
}

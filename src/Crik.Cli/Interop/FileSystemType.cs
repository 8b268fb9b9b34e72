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

    /// <summary>The f_type of the file system holding <paramref name="path"/>, following links; null when it cannot be read (gone, not permitted).</summary>
    public static long? Of(string path)
    {
        StatFsBuffer buffer = default;
        return Libc.StatFs(path, &buffer) == 0 ? buffer.Type : null;
    }
}

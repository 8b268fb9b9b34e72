
namespace Crik.Cli.Interop;

/// <summary>What kind of file a path names (the S_IFMT bits of its mode).</summary>
internal enum FileKind
{
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Unknown,
}

/// <summary>
/// The facts crik needs about a file, read with statx(2). <see cref="Read"/> never follows a final
/// symbolic link unless asked, so a link planted where a file is expected is seen as a link.
/// </summary>
internal readonly record struct FileStatus(FileKind Kind, UnixFileMode Mode, uint Uid, uint Gid, long Size,
    ulong Inode, ulong Device, ulong MountId, long LinkCount, DateTimeOffset Accessed, DateTimeOffset Modified,
    DateTimeOffset Changed)
{
    /// <summary>The status of <paramref name="path"/>, or null when it does not exist (ENOENT, ENOTDIR).</summary>
    public static FileStatus? TryRead(string path, bool followLinks = false) =>
        TryRead(Libc.AT_FDCWD, path, followLinks ? 0 : Libc.AT_SYMLINK_NOFOLLOW);

    /// <summary>The status of an open descriptor (statx with AT_EMPTY_PATH).</summary>
    public static FileStatus Read(int fd) =>
        TryRead(fd, "", Libc.AT_EMPTY_PATH) ?? throw Posix.Failure($"statx(fd {fd})", Errno.ENOENT);

    /// <summary>The status of <paramref name="name"/> relative to a directory descriptor, never following a link.</summary>
    public static FileStatus? TryReadAt(int directoryFd, string name) =>
        TryRead(directoryFd, name, Libc.AT_SYMLINK_NOFOLLOW);

    private static unsafe FileStatus? TryRead(int dirFd, string path, int flags)
    {
        StatxBuffer buffer = default;
        if (Libc.Statx(dirFd, path, flags, Libc.STATX_BASIC_STATS | Libc.STATX_MNT_ID, &buffer) != 0)
        {
            Errno errno = Libc.LastErrno;
            if (errno is Errno.ENOENT or Errno.ENOTDIR)
            {
                return null;
            }
            throw Posix.Failure($"statx({path})", errno);
        }
        return new FileStatus(KindOf(buffer.Mode), (UnixFileMode)(buffer.Mode & 0xfff), buffer.Uid, buffer.Gid,
            (long)buffer.Size, buffer.Inode, ((ulong)buffer.DeviceMajor << 32) | buffer.DeviceMinor, buffer.MountId,
            buffer.LinkCount,
            Timestamp(buffer.AccessSeconds, buffer.AccessNanoseconds), Timestamp(buffer.ModifySeconds, buffer.ModifyNanoseconds),
            Timestamp(buffer.ChangeSeconds, buffer.ChangeNanoseconds));
    }

    private static FileKind KindOf(ushort mode) => (mode & 0xf000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xa000 => FileKind.SymbolicLink,
        0x1000 => FileKind.Fifo,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0xc000 => FileKind.Socket,
        _ => FileKind.Unknown,
    };

    /// <summary>A file time as a DateTimeOffset, clamped to its range (file systems can hold times before year 1 or after 9999).</summary>
    internal static DateTimeOffset Timestamp(long seconds, uint nanoseconds)
    {
        long min = DateTimeOffset.MinValue.ToUnixTimeSeconds(), max = DateTimeOffset.MaxValue.ToUnixTimeSeconds() - 1;
        return DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, min, max)).AddTicks(Math.Min(nanoseconds, 999_999_999u) / 100);
    }
}

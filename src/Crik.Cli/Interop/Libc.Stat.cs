using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static unsafe partial class Libc
{
    /// <summary>The "current directory" value for the dirfd of the *at calls.</summary>
    internal const int AT_FDCWD = -100;

    /// <summary>statx(2) flags and mask bits: the same on every Linux architecture.</summary>
    internal const int AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
    internal const uint STATX_BASIC_STATS = 0x7ff, STATX_MNT_ID = 0x1000;

    /// <summary>
    /// statx(2): facts about a file, relative to <paramref name="dirFd"/> (or AT_FDCWD), without
    /// following a final symbolic link when AT_SYMLINK_NOFOLLOW is given. Its buffer has one layout on
    /// every architecture, unlike struct stat. Returns 0, or -1 with errno.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Statx(int dirFd, string path, int flags, uint mask, StatxBuffer* buffer);
}

/// <summary>struct statx from linux/stat.h (256 bytes), the fields crik reads.</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct StatxBuffer
{
    [FieldOffset(0)] public uint Mask;
    [FieldOffset(16)] public uint LinkCount;
    [FieldOffset(20)] public uint Uid;
    [FieldOffset(24)] public uint Gid;
    [FieldOffset(28)] public ushort Mode;
    [FieldOffset(32)] public ulong Inode;
    [FieldOffset(40)] public ulong Size;
    [FieldOffset(64)] public long AccessSeconds;
    [FieldOffset(72)] public uint AccessNanoseconds;
    [FieldOffset(96)] public long ChangeSeconds;
    [FieldOffset(104)] public uint ChangeNanoseconds;
    [FieldOffset(112)] public long ModifySeconds;
    [FieldOffset(120)] public uint ModifyNanoseconds;
    [FieldOffset(136)] public uint DeviceMajor;
    [FieldOffset(140)] public uint DeviceMinor;
    [FieldOffset(144)] public ulong MountId;
}

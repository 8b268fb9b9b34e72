using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

// Owner, mode and timestamps of files: what a faithful copy keeps, and what makes crik's files private.
internal static unsafe partial class Libc
{
    /// <summary>fchmod(2): sets the mode of an open file, whatever the umask. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int Fchmod(int fd, uint mode);

    /// <summary>
    /// fchownat(2): sets owner and group of a name relative to a directory (AT_SYMLINK_NOFOLLOW: of
    /// a link itself), or of an open file with AT_EMPTY_PATH and "". Returns 0, or -1 with errno.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "fchownat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int FchownAt(int dirFd, string name, uint uid, uint gid, int flags);

    /// <summary>
    /// utimensat(2): sets access and modification times (two struct timespec) of a name relative to
    /// a directory (AT_SYMLINK_NOFOLLOW: of a link itself). Returns 0, or -1 with errno (glibc: EINVAL for a null name).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int UtimensAt(int dirFd, string name, long* times, int flags);

    /// <summary>futimens(3): sets access and modification times (two struct timespec) of an open file. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "futimens", SetLastError = true)]
    internal static partial int Futimens(int fd, long* times);
}

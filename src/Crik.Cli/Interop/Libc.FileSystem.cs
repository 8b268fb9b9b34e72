using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

internal static unsafe partial class Libc
{
    /// <summary>open(2). Returns a descriptor, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags, uint mode);

    /// <summary>close(2). Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>fsync(2): flushes a file or directory to disk. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(int fd);

    /// <summary>fdatasync(2): flushes a file's data (and the metadata needed to read it) to disk. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "fdatasync", SetLastError = true)]
    internal static partial int Fdatasync(int fd);

    /// <summary>syncfs(2): flushes the whole file system holding fd. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "syncfs", SetLastError = true)]
    internal static partial int SyncFs(int fd);

    /// <summary>pwrite(2): writes at an offset. Returns bytes written, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "pwrite", SetLastError = true)]
    internal static partial nint Pwrite(SafeFileHandle fd, byte* buffer, nint count, long offset);

    /// <summary>write(2) at the descriptor's current offset. Returns bytes written, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(SafeFileHandle fd, byte* buffer, nint count);
}

internal static partial class Libc
{
    internal const int LOCK_EX = 2, LOCK_NB = 4;

    /// <summary>flock(2): an advisory lock on an open file. Returns 0, or -1 with errno (EWOULDBLOCK when held).</summary>
    [LibraryImport(Library, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);
}

internal static partial class Libc
{
    internal const int POSIX_FADV_WILLNEED = 3;

    /// <summary>posix_fadvise(2): advice on how a file will be read. Returns 0, or the error number itself (not -1).</summary>
    [LibraryImport(Library, EntryPoint = "posix_fadvise")]
    internal static partial int PosixFadvise(int fd, long offset, long length, int advice);
}

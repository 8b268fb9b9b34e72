using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>Opening a file a user named, to read a few bytes, without letting the open hang crik.</summary>
internal static class NonBlockingFile
{
    /// <summary>
    /// open(2) read-only with O_NONBLOCK (a FIFO with no writer would block the open forever), O_NOCTTY
    /// and O_CLOEXEC, following links (a mounted Kubernetes Secret's files are links). Check what it
    /// opened with <see cref="FileStatus.Read(int)"/> before reading. -1 errno becomes an <see cref="IOException"/>.
    /// </summary>
    public static SafeFileHandle OpenForReading(string path)
    {
        int fd = Libc.Open(path, OpenFlags.ReadOnly | OpenFlags.NonBlocking | OpenFlags.NoControllingTerminal | OpenFlags.CloseOnExec, 0);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Posix.Failure($"open({path})", Libc.LastErrno);
    }
}

using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>A file in memory with no name in any directory (memfd_create), e.g. to capture a child's output.</summary>
internal static class MemoryFile
{
    public static SafeFileHandle Create(string label)
    {
        int fd = Libc.MemfdCreate(label, Libc.MFD_CLOEXEC);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Posix.Failure("memfd_create", Libc.LastErrno);
    }

    /// <summary>A path by which a child process (run as crik's user) can open this very file.</summary>
    public static string ProcPath(SafeFileHandle file) => $"/proc/{Environment.ProcessId}/fd/{(int)file.DangerousGetHandle()}";
}

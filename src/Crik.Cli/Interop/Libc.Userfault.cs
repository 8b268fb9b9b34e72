using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

// userfaultfd(2), socketpair(2) and pidfd_getfd(2): what a lazy restore needs from the kernel.
internal static unsafe partial class Libc
{
    internal const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;

    /// <summary>socketpair(2). Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "socketpair", SetLastError = true)]
    internal static partial int SocketPair(int domain, int type, int protocol, int* fds);

    /// <summary>syscall(2) with one argument (userfaultfd and pidfd_open have no glibc wrapper everywhere).</summary>
    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall1(long number, long argument);

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall3(long number, long first, long second, long third);

    /// <summary>ioctl(2) with a pointer argument. Returns 0 or more, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, nuint request, void* argument);

    /// <summary>struct uffdio_api.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UserfaultApi
    {
        public ulong Api;
        public ulong Features;
        public ulong Ioctls;
    }
}

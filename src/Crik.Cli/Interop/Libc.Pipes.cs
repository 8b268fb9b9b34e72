using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

internal static unsafe partial class Libc
{
    internal const int F_GETFL = 3, F_SETFL = 4;
    internal const int EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1;
    internal const uint EPOLLOUT = 0x4, EPOLLET = 1u << 31;
    internal const uint SPLICE_F_NONBLOCK = 0x2;
    internal const nuint FIONREAD = 0x541B;

    /// <summary>
    /// The size of a buffer that holds one struct epoll_event on every architecture crik runs on
    /// (12 bytes and packed on x86-64, 16 on arm64): its events mask first, then data crik never uses.
    /// </summary>
    internal const int EpollEventBytes = 16;

    /// <summary>writev(2). Returns bytes written, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "writev", SetLastError = true)]
    internal static partial nint WriteVector(SafeFileHandle fd, IoVector* vectors, int count);

    /// <summary>vmsplice(2) into a pipe: it takes references to the pages, not copies. Returns bytes taken, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "vmsplice", SetLastError = true)]
    internal static partial nint VmSplice(SafeFileHandle pipe, IoVector* vectors, nuint count, uint flags);

    /// <summary>epoll_create1(2). Returns a descriptor, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate(int flags);

    /// <summary>epoll_ctl(2); <paramref name="epollEvent"/> points to <see cref="EpollEventBytes"/> bytes. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollControl(SafeFileHandle epoll, int operation, int fd, byte* epollEvent);

    /// <summary>epoll_wait(2) for one event into <see cref="EpollEventBytes"/> bytes. Returns 1, 0 on timeout, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(SafeFileHandle epoll, byte* epollEvent, int maxEvents, int timeoutMilliseconds);
}

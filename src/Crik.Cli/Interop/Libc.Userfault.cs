using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

// userfaultfd(2) and its ioctls, poll(2) and eventfd(2): what serving a lazily restored app's memory needs from the kernel.
internal static unsafe partial class Libc
{
    internal const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    internal const short POLLIN = 0x1;

    /// <summary>poll's error event: on a pipe's write end, the reader has closed its end.</summary>
    internal const short POLLERR = 0x8;

    // _IOR(0xAA, 0x02, struct uffdio_range), _IOWR(0xAA, 0x03, struct uffdio_copy), _IOWR(0xAA, 0x04, struct uffdio_zeropage)
    internal const nuint UFFDIO_WAKE = 0x8010AA02, UFFDIO_COPY = 0xC028AA03, UFFDIO_ZEROPAGE = 0xC020AA04;

    // _IOWR(0xAA, 0x06, struct uffdio_writeprotect)
    internal const nuint UFFDIO_WRITEPROTECT = 0xC018AA06;

    /// <summary>syscall(2) with one argument (userfaultfd and pidfd_open have no glibc wrapper everywhere).</summary>
    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall1(long number, long argument);

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall3(long number, long first, long second, long third);

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall4(long number, long first, long second, long third, long fourth);

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall5(long number, long first, long second, long third, long fourth, long fifth);

    /// <summary>ioctl(2) with a pointer argument. Returns 0 or more, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, nuint request, void* argument);

    /// <summary>ioctl(2) on a descriptor other threads may close: the handle is kept open for the call.</summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(SafeFileHandle fd, nuint request, void* argument);

    /// <summary>read(2). Returns bytes read, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(SafeFileHandle fd, byte* buffer, nint count);

    /// <summary>poll(2). Returns how many descriptors are ready, 0 on timeout, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    /// <summary>eventfd(2). Returns a descriptor, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initial, int flags);

    /// <summary>struct uffdio_api.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UserfaultApi
    {
        public ulong Api;
        public ulong Features;
        public ulong Ioctls;
    }

    /// <summary>struct uffdio_range.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UserfaultRange
    {
        public ulong Start;
        public ulong Length;
    }

    /// <summary>struct uffdio_copy: <see cref="Copied"/> is the bytes copied, or a negative errno.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UserfaultCopy
    {
        public ulong Destination;
        public ulong Source;
        public ulong Length;
        public ulong Mode;
        public long Copied;
    }

    /// <summary>struct uffdio_zeropage.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UserfaultZeroPage
    {
        public UserfaultRange Range;
        public ulong Mode;
        public long Zeroed;
    }

    /// <summary>struct uffdio_writeprotect.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UserfaultWriteProtect
    {
        public UserfaultRange Range;
        public ulong Mode;
    }

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }
}

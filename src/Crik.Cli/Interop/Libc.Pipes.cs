using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

internal static unsafe partial class Libc
{
    internal const int F_GETFL = 3, F_SETFL = 4;
    internal const short POLLOUT = 0x4;

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    /// <summary>writev(2). Returns bytes written, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "writev", SetLastError = true)]
    internal static partial nint WriteVector(SafeFileHandle fd, IoVector* vectors, int count);

    /// <summary>poll(2). Returns how many descriptors are ready (0 on timeout), or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);
}

using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static partial class Libc
{
    internal const int CLOCK_MONOTONIC = 1;

    /// <summary>struct timespec on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>clock_gettime(2). Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "clock_gettime", SetLastError = true)]
    internal static partial int ClockGetTime(int clock, out Timespec time);
}

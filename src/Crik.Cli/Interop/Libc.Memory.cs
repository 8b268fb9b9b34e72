using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static unsafe partial class Libc
{
    internal const int PROT_READ = 1, PROT_WRITE = 2;
    internal const int MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
    internal const int MADV_FREE = 8, MADV_HUGEPAGE = 14;

    /// <summary>mmap(2). Returns the address, or MAP_FAILED (-1) with errno.</summary>
    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    internal static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    /// <summary>munmap(2). Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(nint address, nuint length);

    /// <summary>madvise(2). Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "madvise", SetLastError = true)]
    internal static partial int Madvise(nint address, nuint length, int advice);
}

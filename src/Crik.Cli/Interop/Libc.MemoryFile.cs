using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static partial class Libc
{
    internal const uint MFD_CLOEXEC = 1;

    /// <summary>
    /// memfd_create(2): an anonymous file in memory, with no name in any directory. Returns a
    /// descriptor, or -1 with errno.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int MemfdCreate(string name, uint flags);
}

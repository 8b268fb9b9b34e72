using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static partial class Libc
{
    internal const int CLONE_NEWNS = 0x00020000;
    internal const ulong MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REC = 0x4000, MS_PRIVATE = 1 << 18;

    /// <summary>mount(2). Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Mount(string? source, string target, string? fileSystemType, ulong flags, string? data);
}

using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static unsafe partial class Libc
{
    /// <summary>
    /// statfs(2): facts about the file system holding <paramref name="path"/>, following links (so
    /// /proc/PID/fd/N answers for the file that descriptor has open). Returns 0, or -1 with errno.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int StatFs(string path, StatFsBuffer* buffer);

    /// <summary>fstatfs(2): <see cref="StatFs"/> for a file descriptor already open. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "fstatfs", SetLastError = true)]
    internal static partial int FStatFs(int fd, StatFsBuffer* buffer);
}

/// <summary>struct statfs: 120 bytes on x86-64 and arm64 alike, f_type (a long) first; crik reads only that.</summary>
[StructLayout(LayoutKind.Explicit, Size = 120)]
internal struct StatFsBuffer
{
    [FieldOffset(0)] public long Type;
}

using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static unsafe partial class Libc
{
    /// <summary>
    /// realpath(3) with a null buffer: the absolute path with every link and ./.. resolved, in
    /// memory the caller frees with free(3). Returns null with errno (ENOENT, EACCES, ELOOP).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial byte* RealPath(string path, byte* resolved);

    /// <summary>free(3).</summary>
    [LibraryImport(Library, EntryPoint = "free")]
    internal static partial void Free(void* memory);
}

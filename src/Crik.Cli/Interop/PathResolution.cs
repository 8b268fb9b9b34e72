using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>Safe wrapper over realpath(3).</summary>
internal static unsafe class PathResolution
{
    /// <summary>The absolute path with every link resolved, or null when it does not exist or cannot be reached.</summary>
    public static string? RealPath(string path)
    {
        byte* resolved = Libc.RealPath(path, null);
        if (resolved is null)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8((nint)resolved);
        }
        finally
        {
            Libc.Free(resolved);
        }
    }
}

// Interop/ owns every native call, its constants and its safe wrapper; nothing outside it P/Invokes.
using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// Declarations of the glibc calls crik makes. Nothing outside this folder P/Invokes; each call group
/// lives in its own file, next to a safe wrapper that turns errno into an exception or a result.
/// </summary>
internal static partial class Libc
{
    internal const string Library = "libc.so.6";

    internal const int EINTR = 4;
    internal const int ESRCH = 3;
    internal const int ENOENT = 2;
    internal const int EACCES = 13;
    internal const int EPERM = 1;
    internal const int ECHILD = 10;
    internal const int ENOEXEC = 8;
    internal const int EISDIR = 21;
    internal const int ENOTDIR = 20;

    /// <summary>The errno of the last call made with SetLastError = true.</summary>
    internal static int LastErrno => Marshal.GetLastPInvokeError();

    internal static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}

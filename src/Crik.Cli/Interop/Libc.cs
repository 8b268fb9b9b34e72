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


    /// <summary>The errno of the last call made with SetLastError = true.</summary>
    internal static Errno LastErrno => (Errno)Marshal.GetLastPInvokeError();

    internal static string Describe(Errno errno) => Marshal.GetPInvokeErrorMessage((int)errno);
}

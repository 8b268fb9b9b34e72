using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// Uses up thread IDs, which come from the same counter as process IDs: a native thread whose start
/// routine is libc's gettid(2) ends at once and hands its own ID back through pthread_join. No
/// managed code runs on it, and nothing is left to reap.
/// </summary>
internal static class ThreadIds
{
    private static readonly Lazy<nint> Gettid = new(() => NativeLibrary.GetExport(NativeLibrary.Load(Libc.Library), "gettid"));

    /// <summary>Runs one such thread; returns the ID it had, or -1 when a thread cannot be made.</summary>
    public static int UseOne()
    {
        if (Libc.PthreadCreate(out nuint thread, 0, Gettid.Value, 0) != 0)
        {
            return -1;
        }
        return Libc.PthreadJoin(thread, out nint id) == 0 ? (int)id : -1;
    }
}

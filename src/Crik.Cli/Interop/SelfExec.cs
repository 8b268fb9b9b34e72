using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// execve(2) of crik's own program with the arguments it was started with. PID 1 keeps its PID through it; every
/// other thread of crik ends, and the new program's threads take their IDs from the PID counter as it stands then.
/// </summary>
internal static unsafe class SelfExec
{
    /// <summary>
    /// Starts crik's program again with the arguments it was started with, as they came (<see cref="OriginalBytes"/>), and
    /// <paramref name="environment"/>; returns only when the exec failed, with its error.
    /// </summary>
    public static Errno Run(IReadOnlyList<string> environment)
    {
        var strings = new List<nint>();
        try
        {
            byte** argv = PosixSpawn.NullTerminated(OriginalBytes.OwnArguments(), strings);
            byte** envp = PosixSpawn.NullTerminated(OriginalBytes.OfEnvironment(environment), strings);
            byte** path = PosixSpawn.NullTerminated(["/proc/self/exe"], strings);
            _ = Libc.Execve(path[0], argv, envp);
            return Libc.LastErrno;
        }
        finally
        {
            foreach (nint s in strings)
            {
                NativeMemory.Free((void*)s);
            }
        }
    }
}

using System.Runtime.InteropServices;
using System.Text;

namespace Crik.Cli.Interop;

/// <summary>
/// execve(2) of crik's own program with the arguments it was started with. PID 1 keeps its PID through it; every
/// other thread of crik ends, and the new program's threads take their IDs from the PID counter as it stands then.
/// </summary>
internal static unsafe class SelfExec
{
    /// <summary>The arguments this process was started with, as the kernel kept them (/proc/self/cmdline).</summary>
    public static List<string> OwnArguments() =>
        Encoding.UTF8.GetString(File.ReadAllBytes("/proc/self/cmdline")).TrimEnd('\0').Split('\0').ToList();

    /// <summary>Returns only when the exec failed, with its error.</summary>
    public static Errno Run(IReadOnlyList<string> arguments, IReadOnlyList<string> environment)
    {
        var strings = new List<nint>();
        try
        {
            byte** argv = PosixSpawn.NullTerminated(arguments, strings);
            byte** envp = PosixSpawn.NullTerminated(environment, strings);
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

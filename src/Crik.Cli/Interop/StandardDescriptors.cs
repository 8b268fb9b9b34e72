namespace Crik.Cli.Interop;

/// <summary>
/// Descriptors 0, 1 and 2 as crik's program was given them. One closed at exec is taken by the next file opened in this
/// process: the runtime's signal pipe, whose read end takes every byte written to its write end as a signal to deliver, so
/// crik's first log line on "stderr" would send crik signals of its own. Each one still closed when crik's code starts is
/// given /dev/null, before anything else opens a file. One the runtime took before that (it is close-on-exec, which no
/// descriptor that crossed an exec is) is not crik's to write: crik's writes to it go to /dev/null, and every process crik
/// starts gets /dev/null there rather than a closed descriptor that its own first open would take.
/// </summary>
internal static class StandardDescriptors
{
    private const int GetDescriptorFlags = 1, CloseOnExecFlag = 1;
    private const string Null = "/dev/null";

    private static int NotInherited;

    /// <summary>Gives /dev/null to each of 0-2 that is closed, and notes those the runtime took; first thing in Main.</summary>
    public static void Secure()
    {
        for (int fd = 0; fd <= 2; fd++)
        {
            int flags = Libc.Fcntl(fd, GetDescriptorFlags, 0);
            if (flags >= 0 && (flags & CloseOnExecFlag) != 0)
            {
                NotInherited |= 1 << fd;
            }
            else if (flags < 0)
            {
                // Every descriptor below this one is open, so open(2) returns this one.
                int opened = Libc.Open(Null, OpenFlags.ReadWrite, 0);
                if (opened != fd)
                {
                    _ = opened >= 0 ? Libc.Close(opened) : 0;
                    NotInherited |= 1 << fd;
                }
            }
        }
    }

    /// <summary>Whether descriptor <paramref name="fd"/> (0-2) is the one crik's program was given, or /dev/null in place of a closed one.</summary>
    public static bool IsCriks(int fd) => (NotInherited & (1 << fd)) == 0;

    /// <summary>The descriptors of 0-2 that are not crik's (<see cref="IsCriks"/>): the processes crik starts get /dev/null there.</summary>
    public static IEnumerable<int> NotCriks() => Enumerable.Range(0, 3).Where(fd => !IsCriks(fd));

    /// <summary>/dev/null, opened for writing, close-on-exec: where crik's writes to a descriptor that is not its own go.</summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenNull()
    {
        int fd = Libc.Open(Null, OpenFlags.WriteOnly | OpenFlags.CloseOnExec, 0);
        return fd < 0 ? throw Posix.Failure($"open({Null})", Libc.LastErrno) : new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }
}

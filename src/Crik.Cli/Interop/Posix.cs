using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>Safe wrappers over <see cref="Libc"/>: errno becomes a result or an <see cref="IOException"/>.</summary>
internal static class Posix
{
    /// <summary>
    /// Sets the calling thread's nice value (setpriority with PRIO_PROCESS and 0: on Linux a nice value is each
    /// thread's own, not the process's, and what the thread starts begins with it); false when the kernel refused
    /// (a value below the thread's own needs CAP_SYS_NICE).
    /// </summary>
    public static bool TrySetOwnThreadNice(int nice) => Libc.SetPriority(PrioProcess, 0, nice) == 0;

    private const int PrioProcess = 0;

    /// <summary>
    /// Sends a signal; false when the process or group no longer exists (ESRCH), and for a number that names no process of the
    /// app's: kill takes 0 and -1 as crik's own group and every process it may signal, and 1 and crik's own PID (or group) are an
    /// init's or crik's, never the app's. So a PID from a damaged record can never have crik signal everything or itself.
    /// </summary>
    public static bool TrySignal(int pid, Signal signal)
    {
        if (pid is 0 or -1 or 1 || pid == Environment.ProcessId || pid == -Environment.ProcessId)
        {
            return false;
        }
        if (Libc.Kill(pid, signal) == 0)
        {
            return true;
        }
        Errno errno = Libc.LastErrno;
        if (errno == Errno.ESRCH)
        {
            return false;
        }
        throw Failure($"kill({pid}, {signal})", errno);
    }

    /// <summary>
    /// Blocks until any child has exited and returns Errno.None with its PID and its wait status (as waitpid would give it),
    /// leaving it a zombie: its PID cannot be taken by a new process until <see cref="ReapChild"/>. ECHILD when there is
    /// no child, EINTR when a signal interrupted the wait, EAGAIN when the child is in a ptrace stop of crik's.
    /// </summary>
    public static unsafe Errno WaitForAnyChildToExit(out int pid, out int status)
    {
        byte* info = stackalloc byte[Libc.SigInfoBytes];
        new Span<byte>(info, Libc.SigInfoBytes).Clear();
        (pid, status) = (0, 0);
        if (Libc.WaitId(Libc.P_ALL, 0, info, Libc.WEXITED | Libc.WNOWAIT) < 0)
        {
            return Libc.LastErrno;
        }
        pid = *(int*)(info + Libc.SigInfoPidOffset);
        int code = *(int*)(info + Libc.SigInfoCodeOffset), value = *(int*)(info + Libc.SigInfoStatusOffset);
        status = code switch
        {
            CLD_EXITED => (value & 0xff) << 8,
            CLD_DUMPED => (value & 0x7f) | 0x80,
            _ => value & 0x7f, // CLD_KILLED
        };
        // The kernel reports a traced child's stops whatever the options: one crik holds for a moment (AppSyscall) is no exit.
        return code is CLD_TRAPPED or CLD_STOPPED or CLD_CONTINUED ? Errno.EAGAIN : Errno.None;
    }

    /// <summary>Reaps the exited child <paramref name="pid"/>: true with its raw wait status, false when it is not there to reap (or only stopped).</summary>
    public static bool ReapChild(int pid, out int status) => Libc.WaitPid(pid, out status, Libc.WNOHANG) == pid && (status & 0xff) != 0x7f;

    private const int CLD_EXITED = 1, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5, CLD_CONTINUED = 6;

    /// <summary>The effective user ID crik runs as.</summary>
    public static uint EffectiveUserId => Libc.GetEffectiveUserId();

    /// <summary>Whether <paramref name="group"/> is crik's effective group or one of its supplementary groups (a pod's fsGroup is one).</summary>
    public static unsafe bool IsOwnGroup(uint group)
    {
        if (group == Libc.GetEffectiveGroupId())
        {
            return true;
        }
        int count = Libc.GetGroups(0, null);
        uint[] groups = new uint[Math.Max(count, 0)];
        fixed (uint* first = groups)
        {
            // Groups are set before crik starts and crik never changes its own, so the count read above still holds.
            count = count > 0 ? Libc.GetGroups(groups.Length, first) : count;
        }
        return count > 0 && groups.AsSpan(0, count).Contains(group);
    }

    /// <summary>Makes this process a child subreaper, so orphaned descendants are re-parented to it.</summary>
    public static void BecomeChildSubreaper()
    {
        if (Libc.Prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        {
            throw Failure("prctl(PR_SET_CHILD_SUBREAPER)", Libc.LastErrno);
        }
    }

    /// <summary>Restores SIGCHLD's default disposition, so that exited children stay waitable.</summary>
    public static void ResetChildSignalDisposition()
    {
        if (Libc.SetSignalHandler(Signal.SIGCHLD, Libc.SIG_DFL) == -1)
        {
            throw Failure("signal(SIGCHLD, SIG_DFL)", Libc.LastErrno);
        }
    }

    /// <summary>
    /// Gives <paramref name="signal"/> its default disposition if this process started with it ignored.
    /// Any other disposition is left alone: it may be the runtime's.
    /// </summary>
    public static unsafe void StopIgnoring(Signal signal)
    {
        byte* action = stackalloc byte[Libc.SignalActionBytes];
        if (Libc.GetSignalAction(signal, null, action) == 0 && *(nint*)action == Libc.SIG_IGN)
        {
            Libc.SetSignalHandler(signal, Libc.SIG_DFL);
        }
    }

    /// <summary>The calling thread's ID.</summary>
    public static int OwnThreadId() => Libc.GetThreadId();

    /// <summary>
    /// Sends <paramref name="signal"/> to one of crik's own threads alone: one that thread blocks waits, pending on it, and
    /// an execve on that thread keeps it. False when the thread has ended.
    /// </summary>
    public static bool TrySignalOwnThread(int thread, Signal signal) => Libc.ThreadKill(Environment.ProcessId, thread, signal) == 0;

    /// <summary>Blocks <paramref name="signals"/> on the calling thread: one sent meanwhile waits, pending, until it is unblocked (an execve keeps both).</summary>
    public static unsafe bool TryBlockOnThisThread(IReadOnlyList<Signal> signals) => TryChangeMaskOnThisThread(Libc.SIG_BLOCK, signals);

    /// <summary>
    /// Takes <paramref name="signals"/> out of the calling thread's signal mask, where a parent may have left them
    /// blocked (the mask is inherited through exec): a signal sent to the process then reaches this thread. False
    /// only for a number that is not a signal.
    /// </summary>
    public static unsafe bool TryUnblockOnThisThread(IReadOnlyList<Signal> signals) => TryChangeMaskOnThisThread(Libc.SIG_UNBLOCK, signals);

    private static unsafe bool TryChangeMaskOnThisThread(int how, IReadOnlyList<Signal> signals)
    {
        byte* set = stackalloc byte[Libc.SigSetBytes];
        _ = Libc.SigEmptySet(set);
        foreach (Signal signal in signals)
        {
            if (Libc.SigAddSet(set, signal) != 0)
            {
                return false;
            }
        }
        return Libc.ThreadSignalMask(how, set, null) == Errno.None;
    }

    /// <summary>Moves the calling thread into a new IPC namespace; false when not permitted.</summary>
    public static bool TryUnshareIpcNamespace(out Errno errno)
    {
        errno = Libc.Unshare(Libc.CLONE_NEWIPC) == 0 ? 0 : Libc.LastErrno;
        return errno == 0;
    }

    /// <summary>
    /// Moves the calling thread into a mount namespace of its own, where nothing it mounts is seen outside,
    /// and mounts a small private tmpfs on <paramref name="target"/> there; false (with errno) when not permitted.
    /// Children the thread starts from then on see that tmpfs; the rest of crik does not.
    /// </summary>
    public static bool TryPrivateTmpfsOn(string target, out Errno errno)
    {
        errno = Libc.Unshare(Libc.CLONE_NEWNS) != 0
            || Libc.Mount(null, "/", null, Libc.MS_REC | Libc.MS_PRIVATE, null) != 0
            || Libc.Mount("crik", target, "tmpfs", Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC, "size=1m,mode=0700") != 0
            ? Libc.LastErrno : 0;
        return errno == 0;
    }

    /// <summary>
    /// Asks the kernel to read part of a regular file into the page cache (posix_fadvise WILLNEED) and returns
    /// without waiting for it; false when <paramref name="path"/> is not a regular file crik can open. A final
    /// link is never followed, and a path that is not a regular file is never opened.
    /// </summary>
    public static bool TryReadAhead(string path, long offset, long length)
    {
        const long ReadAheadStep = 128 << 10;
        if (FileStatus.TryRead(path) is not { Kind: FileKind.Regular })
        {
            return false;
        }
        int fd = Libc.Open(path, OpenFlags.ReadOnly | OpenFlags.NoFollow | OpenFlags.NonBlocking | OpenFlags.NoControllingTerminal | OpenFlags.CloseOnExec, 0);
        if (fd < 0)
        {
            return false;
        }
        try
        {
            if (FileStatus.Read(fd).Kind != FileKind.Regular)
            {
                return false;
            }
            // The kernel reads at most its read-ahead window (128 KiB by default) for each piece of advice.
            for (long at = offset; at < offset + length; at += ReadAheadStep)
            {
                if (Libc.PosixFadvise(fd, at, Math.Min(ReadAheadStep, offset + length - at), Libc.POSIX_FADV_WILLNEED) != 0)
                {
                    return false;
                }
            }
            return true;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The short name of a signal, e.g. "TERM".</summary>
    public static string SignalName(Signal signal)
    {
        nint name = Libc.SignalAbbreviation(signal);
        return name == 0 ? ((int)signal).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "SIG" + Marshal.PtrToStringUTF8(name);
    }

    public static IOException Failure(string call, Errno errno) =>
        new($"{call} failed: {Libc.Describe(errno)}", (int)errno);
}

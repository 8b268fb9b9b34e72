using System.Diagnostics;

namespace Crik.Cli.Interop;

// The stops of a thread crik runs a system call in: which one it is in, and waiting for the next one wanted.
internal sealed unsafe partial class AppSyscall
{
    private const int SIGTRAP = 5;

    /// <summary>A system-call stop, as <see cref="StopStatus"/> reads it: SIGTRAP | 0x80 (PTRACE_O_TRACESYSGOOD).</summary>
    private static bool IsSyscallStop(int status) => status == (SIGTRAP | 0x80);

    /// <summary>
    /// A stop inside the thread's signal handling (get_signal): PTRACE_INTERRUPT's or a group-stop's, which a thread seized
    /// with PTRACE_SEIZE reports as PTRACE_EVENT_STOP.
    /// </summary>
    private static bool IsSignalHandlingStop(int status) => status >> 8 == Libc.PTRACE_EVENT_STOP;

    /// <summary>
    /// For the tests: runs, with the thread's ID, each time crik has seen a thread in a ptrace stop, before it asks why, so that
    /// a test can kill the app in that window, where a SIGKILL wakes the thread and the next ptrace call fails as if it had
    /// never stopped.
    /// </summary>
    internal static Action<int>? StopSeen { get; set; }

    /// <summary>
    /// Waits for the thread's next ptrace stop that <paramref name="wanted"/> accepts, resuming it past any other with
    /// <paramref name="resume"/>. A signal the thread takes meanwhile is kept, with its siginfo, to be sent again at the end
    /// (delivered now, its handler's frame would be written in the app's memory while crik has it stopped). The stop is seen
    /// in /proc, not only in a wait status (which whoever waits for the process's children first takes: the .NET runtime's
    /// own handler does for a child it started), and told apart by the signal information ptrace keeps with it. Waits as
    /// long as the thread lives (closely for <see cref="_wait"/>, then every 10 ms); throws IOException once it has exited.
    /// </summary>
    /// <returns>What stopped it, as <see cref="StopStatus"/> reads it.</returns>
    private int WaitForStop(Func<int, bool> wanted, int resume)
    {
        byte* info = stackalloc byte[Libc.SigInfoBytes];
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (IsStopped())
            {
                StopSeen?.Invoke(_tid);
                _ = Libc.WaitId(Libc.P_PID, _tid, info, Libc.WSTOPPED | Libc.WNOHANG | Libc.WALL); // its wait status, if still there, is crik's
                int status = StopStatus(info);
                if (wanted(status))
                {
                    return status;
                }
                if (status is > 0 and < 65)
                {
                    _signalsKept.Add(new Span<byte>(info, Libc.SigInfoBytes).ToArray());
                }
                Check(Libc.Ptrace(resume, _tid, 0, 0), "resume");
                continue;
            }
            // No time limit: a thread crik seized is let go only as it was, and one that does not run (its cgroup frozen, no CPU
            // for it) may hold crik's registers or mask. Given up on, it went on from there when it ran again, and crashed.
            Thread.Sleep(TimeSpan.FromMilliseconds(Stopwatch.GetElapsedTime(started) < _wait ? 0.1 : 10));
        }
    }

    /// <summary>Whether the thread has exited: waited for until it has, or is in a ptrace stop again (a thread killed is on its way out a moment).</summary>
    private bool Ended()
    {
        try
        {
            _ = WaitForStop(_ => true, Libc.PTRACE_CONT);
        }
        catch (IOException)
        {
            // IsStopped says so in _exited.
        }
        return _exited;
    }

    /// <summary>Whether the thread is in a ptrace stop ("t" in /proc/PID/task/TID/stat).</summary>
    private bool IsStopped()
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{_pid}/task/{_tid}/stat");
        }
        catch (IOException)
        {
            _exited = true;
            throw new IOException($"thread {_tid} is gone");
        }
        int close = stat.LastIndexOf(')');
        char state = close > 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
        _exited |= state is 'Z' or 'X';
        return _exited ? throw new IOException($"thread {_tid} exited") : state == 't';
    }

    /// <summary>
    /// What the stop is, from PTRACE_GETSIGINFO: a signal being delivered (its number), a system-call stop (SIGTRAP | 0x80), or
    /// a ptrace event (its signal | event &lt;&lt; 8, as the kernel writes it in si_code; a group-stop or an interrupt is
    /// PTRACE_EVENT_STOP whatever the signal). A signal's own si_code is below 0x100, or negative when a process sent it.
    /// </summary>
    private int StopStatus(byte* info)
    {
        new Span<byte>(info, Libc.SigInfoBytes).Clear();
        if (Libc.Ptrace(Libc.PTRACE_GETSIGINFO, _tid, 0, (nint)info) < 0)
        {
            // No signal information: a group-stop of a thread attached without PTRACE_SEIZE; crik always seizes.
            return Libc.LastErrno == Errno.EINVAL ? Libc.PTRACE_EVENT_STOP << 8 : throw Failure("read why it stopped", Libc.LastErrno);
        }
        int signal = *(int*)info, code = *(int*)(info + Libc.SigInfoCodeOffset);
        return signal == SIGTRAP && code == (SIGTRAP | 0x80) ? code
            : code >= 0x100 ? code
            : signal;
    }
}

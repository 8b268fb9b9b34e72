using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// System calls run inside another process, on one of its threads, with ptrace: the thread is seized and stopped, made
/// to execute a system-call instruction already in its memory (the one it is stopped in, or one in its vDSO), and put
/// back as it was. Nothing of the process's memory is written, and its other threads run on. Works the same whether the
/// program is linked statically or not, and whether it was started fresh or restored. x86-64 only for now (<see cref="Unsupported"/>).
/// The app sees nothing of it: crik takes the thread, and gives it back, only in a stop the kernel makes inside its signal
/// handling (get_signal: PTRACE_INTERRUPT's, or a group-stop's), with every signal it can block blocked in between. So no
/// signal is taken from it meanwhile: each stays queued with its siginfo, and when the thread goes on from that stop the
/// kernel delivers it and ends a system call it interrupted just as it would have without crik (EINTR where a handler
/// without SA_RESTART runs, a restart otherwise).
/// A thread in a call that set a signal mask for the call's length (ppoll, pselect6, epoll_pwait, sigsuspend,
/// io_pgetevents; <see cref="OwnMaskCall"/>) keeps its mask: the kernel gives the app's own back when the call ends, and
/// ptrace setting the mask would lose that. Choose another thread where there is one (<see cref="InOwnMaskCall"/>); in such
/// a thread, a signal that comes while crik's call runs is taken, and sent again at the end, with its siginfo where the
/// kernel lets crik send that (a timer's, sigqueue's), from crik otherwise.
/// ptrace binds a tracee to the thread that seized it: every call on one instance must come from the thread that made it.
/// </summary>
internal sealed unsafe partial class AppSyscall : IDisposable
{
    private const int RegisterCount = 27, R10 = 7, R9 = 8, R8 = 9, Rax = 10, Rdx = 12, Rsi = 13, Rdi = 14, OrigRax = 15, Rip = 16;
    private const ushort SyscallInstruction = 0x050F; // "syscall", 0F 05, as a little-endian word
    private const ulong AllSignals = ulong.MaxValue; // the kernel leaves SIGKILL and SIGSTOP out: they cannot be blocked

    private readonly int _tid, _pid;
    private readonly ulong[] _saved = new ulong[RegisterCount];
    private readonly ulong? _savedMask;
    private readonly ulong _instruction;
    private readonly List<byte[]> _signalsKept = [];
    private readonly TimeSpan _wait;
    private bool _detached, _exited, _inSignalHandling;

    private AppSyscall(int tid, TimeSpan wait, CodeArea? vdso)
    {
        _tid = tid;
        _pid = TgidOf(tid);
        _wait = wait;
        // EXITKILL: a crik killed while the thread holds its registers or mask kills the app rather than let it run on from there.
        if (Libc.Ptrace(Libc.PTRACE_SEIZE, tid, 0, (nint)(Libc.PTRACE_O_TRACESYSGOOD | Libc.PTRACE_O_EXITKILL)) < 0)
        {
            throw Failure("seize", Libc.LastErrno);
        }
        try
        {
            Check(Libc.Ptrace(Libc.PTRACE_INTERRUPT, tid, 0, 0), "interrupt");
            _ = WaitForStop(IsSignalHandlingStop, Libc.PTRACE_CONT);
            _inSignalHandling = true;
            GetRegisters(_saved);
            _instruction = FindInstruction(vdso);
            if (OwnMaskCall() is null)
            {
                _savedMask = GetMask();
                SetMask(AllSignals);
            }
        }
        catch
        {
            LetGo();
            throw;
        }
    }

    /// <summary>Null where crik can run a system call in another process; otherwise why not.</summary>
    public static string? Unsupported() => RuntimeInformation.ProcessArchitecture == Architecture.X64
        ? null
        : $"crik runs a system call inside the app on x86-64 only so far, not on {RuntimeInformation.ProcessArchitecture}";

    /// <summary>
    /// Seizes thread <paramref name="tid"/> and stops it; throws IOException when it cannot (the thread is gone, traced already,
    /// or not crik's to trace). Once seized, the thread is waited for as long as it lives, however long it does not run.
    /// </summary>
    /// <param name="wait">How long to watch closely for each stop of the thread, and to wait for an exited one to be reaped.</param>
    /// <param name="vdso">Where the process's vDSO is (its /proc/PID/maps says), for a thread stopped outside a system call.</param>
    public static AppSyscall Stop(int tid, TimeSpan wait, CodeArea? vdso) =>
        Unsupported() is { } why ? throw new IOException(why) : new AppSyscall(tid, wait, vdso);

    /// <summary>Runs system call <paramref name="number"/> in the thread and returns what it returned (a negative errno on failure).</summary>
    public long Run(long number, long first = 0, long second = 0, long third = 0)
    {
        ObjectDisposedException.ThrowIf(_detached, this);
        var registers = (ulong[])_saved.Clone();
        registers[Rax] = (ulong)number;
        registers[Rdi] = (ulong)first;
        registers[Rsi] = (ulong)second;
        registers[Rdx] = (ulong)third;
        registers[OrigRax] = ulong.MaxValue; // not in a system call: nothing for the kernel to restart on the way out of this stop
        registers[Rip] = _instruction;
        SetRegisters(registers);
        _inSignalHandling = false;
        InAppCallPause.Wait();
        Check(Libc.Ptrace(Libc.PTRACE_SYSCALL, _tid, 0, 0), "resume");
        _ = WaitForStop(IsSyscallStop, Libc.PTRACE_SYSCALL); // the call's entry
        Check(Libc.Ptrace(Libc.PTRACE_SYSCALL, _tid, 0, 0), "resume");
        _ = WaitForStop(IsSyscallStop, Libc.PTRACE_SYSCALL); // its exit
        GetRegisters(registers);
        return (long)registers[Rax];
    }

    /// <summary>
    /// Puts the thread back as it was and lets it go: in a stop inside its signal handling (stopped there again after a call
    /// of crik's), its registers and signal mask as they were, and a signal that cannot be blocked (SIGSTOP) that came
    /// meanwhile sent again. The kernel then goes on with the thread as if crik had not been there.
    /// </summary>
    public void Dispose()
    {
        if (_detached)
        {
            return;
        }
        _detached = true;
        try
        {
            if (!_inSignalHandling)
            {
                // Whatever stop it is in or comes to next (a call's exit), on to the interrupt's, in its signal handling.
                _ = Libc.Ptrace(Libc.PTRACE_INTERRUPT, _tid, 0, 0);
                _ = Libc.Ptrace(Libc.PTRACE_CONT, _tid, 0, 0);
                _ = WaitForStop(IsSignalHandlingStop, Libc.PTRACE_CONT);
                _inSignalHandling = true;
            }
            SetRegisters(_saved);
            if (_savedMask is { } mask)
            {
                SetMask(mask);
            }
            SendAgain();
        }
        catch (IOException) when (Ended())
        {
            // Killed meanwhile: there is nothing to put back.
        }
        finally
        {
            LetGo();
        }
    }

    /// <summary>
    /// Detaches from the thread. ptrace detaches only a stopped thread, and one left seized would stop at its next signal
    /// with nobody to let it go on; so a thread not stopped is stopped first. A thread that is not stopped when crik held it
    /// stopped was woken by a SIGKILL: it is on its way out, and is waited for until it has exited, then reaped.
    /// </summary>
    private void LetGo()
    {
        while (Libc.Ptrace(Libc.PTRACE_DETACH, _tid, 0, 0) != 0 && Libc.LastErrno == Errno.ESRCH)
        {
            if (Libc.Ptrace(Libc.PTRACE_INTERRUPT, _tid, 0, 0) != 0 || Ended())
            {
                ReapExited(); // exited, or no longer crik's to stop: reaped if it is crik's to reap
                return;
            }
        }
    }

    /// <summary>
    /// A thread that exits while traced stays a zombie until its tracer waits for it, and its process with it (the kernel
    /// keeps a process whose threads are not all reaped): so crik, which traced it, reaps it. Not the main thread of crik's
    /// own child, whose exit status is its parent's to take (crik's reaper): traced by its own parent, it is reaped as usual.
    /// </summary>
    private void ReapExited()
    {
        if (_tid == _pid && RealParentOf(_pid) == Environment.ProcessId)
        {
            return;
        }
        byte* info = stackalloc byte[Libc.SigInfoBytes];
        long started = Stopwatch.GetTimestamp();
        while (Directory.Exists($"/proc/{_pid}/task/{_tid}") && Stopwatch.GetElapsedTime(started) < _wait)
        {
            new Span<byte>(info, Libc.SigInfoBytes).Clear();
            if (Libc.WaitId(Libc.P_PID, _tid, info, Libc.WEXITED | Libc.WNOHANG | Libc.WALL) < 0 || *(int*)(info + Libc.SigInfoPidOffset) == _tid)
            {
                return; // reaped, or not crik's to reap (untraced already)
            }
            Thread.Sleep(1); // still on its way out
        }
    }

    /// <summary>The PID of the process's real parent (a tracer is not one): PPid in its status; 0 when it is gone.</summary>
    private static int RealParentOf(int pid)
    {
        try
        {
            return ProcStatus.Read($"/proc/{pid}/status").PPid ?? 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>A "syscall" instruction: the one the thread is stopped after, or else one in the process's vDSO.</summary>
    private ulong FindInstruction(CodeArea? vdso)
    {
        ulong before = _saved[Rip] - 2;
        if ((long)_saved[OrigRax] >= 0 && ReadWord(before) is { } word && (ushort)word == SyscallInstruction)
        {
            return before;
        }
        if (vdso is { } area)
        {
            var code = new byte[area.End - area.Start];
            using SafeFileHandle memory = File.OpenHandle($"/proc/{_pid}/mem");
            int read = RandomAccess.Read(memory, code, (long)area.Start);
            for (int i = 0; i + 1 < read; i++)
            {
                if (code[i] == 0x0F && code[i + 1] == 0x05)
                {
                    return area.Start + (ulong)i;
                }
            }
        }
        throw new IOException($"thread {_tid} is in no system call and its process has no vDSO with a system-call instruction to borrow");
    }

    private ulong? ReadWord(ulong address)
    {
        Marshal.SetLastPInvokeError(0);
        long word = Libc.Ptrace(Libc.PTRACE_PEEKDATA, _tid, (nint)address, 0);
        return word == -1 && Libc.LastErrno != Errno.None ? null : (ulong)word;
    }

    private void GetRegisters(ulong[] registers) => Registers(Libc.PTRACE_GETREGSET, registers, "read the registers of");

    private void SetRegisters(ulong[] registers) => Registers(Libc.PTRACE_SETREGSET, registers, "set the registers of");

    private void Registers(int request, ulong[] registers, string what)
    {
        fixed (ulong* values = registers)
        {
            var vector = new Libc.IoVector { Base = values, Length = (nuint)(registers.Length * sizeof(ulong)) };
            Check(Libc.Ptrace(request, _tid, Libc.NT_PRSTATUS, (nint)(&vector)), what);
            if (vector.Length != (nuint)(registers.Length * sizeof(ulong)))
            {
                // The kernel gives a 32-bit (ia32) thread its own, smaller set: crik's calls and registers are x86-64's.
                throw new IOException($"thread {_tid} runs 32-bit (ia32) code, and crik runs system calls only in 64-bit threads");
            }
        }
    }

    /// <summary>The thread's blocked signals (PTRACE_GETSIGMASK, a 64-bit sigset_t).</summary>
    private ulong GetMask()
    {
        ulong mask;
        Check(Libc.Ptrace(Libc.PTRACE_GETSIGMASK, _tid, sizeof(ulong), (nint)(&mask)), "read the signal mask of");
        return mask;
    }

    private void SetMask(ulong mask) => Check(Libc.Ptrace(Libc.PTRACE_SETSIGMASK, _tid, sizeof(ulong), (nint)(&mask)), "set the signal mask of");

    /// <summary>
    /// Why the thread is in a system call that set a signal mask for its own length, which the kernel gives back when the call
    /// ends (TIF_RESTORE_SIGMASK); null when it is not. PTRACE_SETSIGMASK drops what the call would give back, so crik does
    /// not block signals in such a thread.
    /// </summary>
    private string? OwnMaskCall()
    {
        int[] arguments = [Rdi, Rsi, Rdx, R10, R8, R9];
        long call = (long)_saved[OrigRax];
        return SetsOwnMask(call, i => _saved[arguments[i]], ReadWord) ? $"thread {_tid} waits in system call {call} with a signal mask of its own" : null;
    }

    /// <summary>
    /// Whether thread <paramref name="tid"/> of process <paramref name="pid"/> waits in a system call with a signal mask of
    /// its own, as /proc/PID/task/TID/syscall shows it: a hint for choosing a thread (one that runs may enter one after).
    /// </summary>
    public static bool InOwnMaskCall(int pid, int tid)
    {
        string[] fields;
        try
        {
            fields = File.ReadAllText($"/proc/{pid}/task/{tid}/syscall").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        if (fields.Length < 7 || !long.TryParse(fields[0], System.Globalization.CultureInfo.InvariantCulture, out long call))
        {
            return false; // running, or in no system call
        }
        return SetsOwnMask(call, i => Convert.ToUInt64(fields[1 + i], 16), _ => null);
    }

    /// <summary>
    /// Whether system call <paramref name="call"/> with these arguments sets a signal mask for its own length: its mask argument
    /// is not null (for pselect6 and io_pgetevents, the first word of the { sigset_t *mask; size_t size } it points to).
    /// </summary>
    private static bool SetsOwnMask(long call, Func<int, ulong> argument, Func<ulong, ulong?> readWord) => call switch
    {
        RtSigsuspend => true,
        Ppoll => argument(3) != 0,
        EpollPwait or EpollPwait2 => argument(4) != 0,
        Pselect6 or IoPgetevents => argument(5) != 0 && readWord(argument(5)) is not 0,
        _ => false,
    };

    /// <summary>
    /// Sends again each signal crik took from the thread while its call ran (one it could not block, or any in a thread whose
    /// mask crik leaves as it is): with its own siginfo where the kernel lets another process queue that (a negative si_code
    /// other than tgkill's: a timer's, sigqueue's), from crik otherwise.
    /// </summary>
    private void SendAgain()
    {
        foreach (byte[] info in _signalsKept)
        {
            int signal = BitConverter.ToInt32(info, 0), code = BitConverter.ToInt32(info, Libc.SigInfoCodeOffset);
            long sent = -1;
            if (code < 0 && code != SiTkill)
            {
                fixed (byte* data = info)
                {
                    sent = Libc.Syscall4(RtTgSigqueueinfo, _pid, _tid, signal, (long)data);
                }
            }
            if (sent < 0)
            {
                _ = Libc.ThreadKill(_pid, _tid, (Signal)signal);
            }
        }
    }

    private const int SiTkill = -6;
    private const long RtTgSigqueueinfo = 297;

    private const long RtSigsuspend = 130, Pselect6 = 270, Ppoll = 271, EpollPwait = 281, IoPgetevents = 333, EpollPwait2 = 441;

    private void Check(long result, string what)
    {
        if (result < 0)
        {
            throw Failure(what, Libc.LastErrno);
        }
    }

    private IOException Failure(string what, Errno errno) => new($"could not {what} thread {_tid} with ptrace: {Libc.Describe(errno)}");

    /// <summary>The process a thread belongs to (its Tgid in /proc/TID/status).</summary>
    private static int TgidOf(int tid) => ProcStatus.Read($"/proc/{tid}/status").Tgid ?? throw new IOException($"/proc/{tid}/status has no Tgid:");
}

/// <summary>Where a process keeps code of the kernel's (its vDSO): [Start, End).</summary>
internal readonly record struct CodeArea(ulong Start, ulong End);

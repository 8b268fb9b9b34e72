using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// System calls run inside another process, on one of its threads, with ptrace: the thread is seized and stopped, made
/// to execute a system-call instruction already in its memory (the one it is stopped in, or one in its vDSO), and put
/// back as it was, an interrupted system call set to start again, a signal that came meanwhile handed back. Nothing of
/// the process's memory is written, and its other threads run on. Works the same whether the program is linked
/// statically or not, and whether it was started fresh or restored. x86-64 only for now (<see cref="Unsupported"/>).
/// ptrace binds a tracee to the thread that seized it: every call on one instance must come from the thread that made it.
/// </summary>
internal sealed unsafe class AppSyscall : IDisposable
{
    private const int RegisterCount = 27, Rax = 10, Rdx = 12, Rsi = 13, Rdi = 14, OrigRax = 15, Rip = 16;
    private const int SIGTRAP = 5;
    private const long ERESTARTSYS = 512, ERESTARTNOINTR = 513, ERESTARTNOHAND = 514, ERESTART_RESTARTBLOCK = 516, RestartSyscall = 219;
    private const ushort SyscallInstruction = 0x050F; // "syscall", 0F 05, as a little-endian word

    private readonly int _tid, _pid;
    private readonly ulong[] _saved = new ulong[RegisterCount];
    private readonly ulong _instruction;
    private readonly List<int> _signalsCame = [];
    private readonly TimeSpan _wait;
    private bool _detached, _exited;

    private AppSyscall(int tid, TimeSpan wait)
    {
        _tid = tid;
        _pid = TgidOf(tid);
        _wait = wait;
        if (Libc.Ptrace(Libc.PTRACE_SEIZE, tid, 0, (nint)Libc.PTRACE_O_TRACESYSGOOD) < 0)
        {
            throw Failure("seize", Libc.LastErrno);
        }
        try
        {
            Check(Libc.Ptrace(Libc.PTRACE_INTERRUPT, tid, 0, 0), "interrupt");
            if (WaitForStop(_ => true) is var status and > 0 and < 65)
            {
                _signalsCame.Add(status); // stopped to be given a signal: the app's, handed back at the end
            }
            GetRegisters(_saved);
            _instruction = FindInstruction();
        }
        catch
        {
            LetGo(0);
            throw;
        }
    }

    /// <summary>Null where crik can run a system call in another process; otherwise why not.</summary>
    public static string? Unsupported() => RuntimeInformation.ProcessArchitecture == Architecture.X64
        ? null
        : $"crik runs a system call inside the app on x86-64 only so far, not on {RuntimeInformation.ProcessArchitecture}";

    /// <summary>Seizes thread <paramref name="tid"/> and stops it; throws IOException when it cannot (the thread is gone, traced already, or not crik's to trace).</summary>
    /// <param name="wait">How long to wait for each stop of the thread before giving up.</param>
    public static AppSyscall Stop(int tid, TimeSpan wait) =>
        Unsupported() is { } why ? throw new IOException(why) : new AppSyscall(tid, wait);

    /// <summary>Runs system call <paramref name="number"/> in the thread and returns what it returned (a negative errno on failure).</summary>
    public long Run(long number, long first = 0, long second = 0, long third = 0)
    {
        ObjectDisposedException.ThrowIf(_detached, this);
        var registers = (ulong[])_saved.Clone();
        registers[Rax] = (ulong)number;
        registers[Rdi] = (ulong)first;
        registers[Rsi] = (ulong)second;
        registers[Rdx] = (ulong)third;
        registers[OrigRax] = ulong.MaxValue; // not in a system call: nothing to restart on the way out of this stop
        registers[Rip] = _instruction;
        SetRegisters(registers);
        Check(Libc.Ptrace(Libc.PTRACE_SYSCALL, _tid, 0, 0), "resume");
        _ = WaitForStop(IsSyscallStop); // the call's entry
        Check(Libc.Ptrace(Libc.PTRACE_SYSCALL, _tid, 0, 0), "resume");
        _ = WaitForStop(IsSyscallStop); // its exit
        GetRegisters(registers);
        return (long)registers[Rax];
    }

    /// <summary>Puts the thread back as it was and lets it go, with the first signal that came meanwhile (the rest sent again).</summary>
    public void Dispose()
    {
        if (_detached)
        {
            return;
        }
        _detached = true;
        var registers = (ulong[])_saved.Clone();
        SetUpRestart(registers);
        try
        {
            SetRegisters(registers);
        }
        catch (IOException)
        {
            // Not stopped (a wait that gave up): stopped again first, since it must not go on with crik's registers.
            _ = Libc.Ptrace(Libc.PTRACE_INTERRUPT, _tid, 0, 0);
            try
            {
                _ = WaitForStop(_ => true);
                SetRegisters(registers);
            }
            catch (IOException) when (_exited)
            {
                // Killed meanwhile: there is nothing to put back.
            }
        }
        finally
        {
            LetGo(_signalsCame.Count > 0 ? _signalsCame[0] : 0);
            foreach (int signal in _signalsCame.Skip(1))
            {
                _ = Libc.Syscall3(ThreadKill, _pid, _tid, signal);
            }
        }
    }

    /// <summary>
    /// Detaches from the thread, handing it <paramref name="signal"/>. ptrace detaches only a stopped thread, and one left
    /// seized would stop at its next signal with nobody to let it go on; so a thread not stopped is stopped first.
    /// </summary>
    private void LetGo(int signal)
    {
        if (Libc.Ptrace(Libc.PTRACE_DETACH, _tid, 0, signal) == 0 || Libc.LastErrno != Errno.ESRCH)
        {
            return;
        }
        if (Libc.Ptrace(Libc.PTRACE_INTERRUPT, _tid, 0, 0) == 0)
        {
            try
            {
                if (WaitForStop(_ => true) is var status and > 0 and < 65 && signal == 0)
                {
                    signal = status;
                }
                _ = Libc.Ptrace(Libc.PTRACE_DETACH, _tid, 0, signal);
                return;
            }
            catch (IOException)
            {
                if (!_exited)
                {
                    return; // it did not stop in time, and is not known to have exited
                }
            }
        }
        ReapExited();
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
            return ProcStatusField(pid, "PPid:");
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private const long ThreadKill = 234; // tgkill on x86-64

    /// <summary>
    /// A thread stopped inside a system call that a signal interrupted leaves it to the kernel to start it again on the
    /// way out of the stop; it leaves by another way after a call of crik's, so it is set up here as the kernel would.
    /// </summary>
    private static void SetUpRestart(ulong[] registers)
    {
        if ((long)registers[OrigRax] < 0)
        {
            return;
        }
        switch (-(long)registers[Rax])
        {
            case ERESTARTSYS or ERESTARTNOINTR or ERESTARTNOHAND:
                registers[Rax] = registers[OrigRax];
                registers[Rip] -= 2;
                break;
            case ERESTART_RESTARTBLOCK:
                registers[Rax] = RestartSyscall;
                registers[Rip] -= 2;
                break;
        }
        registers[OrigRax] = ulong.MaxValue;
    }

    /// <summary>A "syscall" instruction: the one the thread is stopped after, or else one in the process's vDSO.</summary>
    private ulong FindInstruction()
    {
        ulong before = _saved[Rip] - 2;
        if ((long)_saved[OrigRax] >= 0 && ReadWord(before) is { } word && (ushort)word == SyscallInstruction)
        {
            return before;
        }
        foreach (string line in File.ReadLines($"/proc/{_pid}/maps"))
        {
            if (line.EndsWith("[vdso]", StringComparison.Ordinal))
            {
                string[] range = line.Split(' ', 2)[0].Split('-');
                ulong start = Convert.ToUInt64(range[0], 16), end = Convert.ToUInt64(range[1], 16);
                var code = new byte[end - start];
                using SafeFileHandle memory = File.OpenHandle($"/proc/{_pid}/mem");
                int read = RandomAccess.Read(memory, code, (long)start);
                for (int i = 0; i + 1 < read; i++)
                {
                    if (code[i] == 0x0F && code[i + 1] == 0x05)
                    {
                        return start + (ulong)i;
                    }
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

    private static bool IsSyscallStop(int status) => status == (SIGTRAP | 0x80);

    /// <summary>
    /// Waits for the thread's next ptrace stop that <paramref name="wanted"/> accepts. A signal that comes meanwhile is kept to be
    /// handed back at the end and the thread resumed; the stop that an interrupt left pending is passed over. The stop is seen
    /// in /proc, not only in a wait status (which whoever waits for the process's children first takes: the .NET runtime's
    /// own handler does for a child it started), and told apart by the signal information ptrace keeps with it.
    /// </summary>
    /// <returns>What stopped it, as a wait status's stop signal reads: a signal, SIGTRAP | 0x80 in a system call, or an event above 0xff.</returns>
    private int WaitForStop(Func<int, bool> wanted)
    {
        byte* info = stackalloc byte[Libc.SigInfoBytes];
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (IsStopped())
            {
                _ = Libc.WaitId(Libc.P_PID, _tid, info, Libc.WSTOPPED | Libc.WNOHANG | Libc.WALL); // its wait status, if still there, is crik's
                int status = StopStatus(info);
                if (wanted(status))
                {
                    return status;
                }
                if (status is > 0 and < 65)
                {
                    _signalsCame.Add(status); // a signal-delivery stop: the signal is the app's, handed back at the end
                }
                Check(Libc.Ptrace(Libc.PTRACE_SYSCALL, _tid, 0, 0), "resume");
                continue;
            }
            if (Stopwatch.GetElapsedTime(started) > _wait)
            {
                throw new IOException($"thread {_tid} did not stop within {_wait.TotalSeconds:0.#} s (it may have exited)");
            }
            Thread.Sleep(TimeSpan.FromMilliseconds(0.1));
        }
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

    /// <summary>What the stop is, from PTRACE_GETSIGINFO; a group-stop, which has no signal information, reads as an event.</summary>
    private int StopStatus(byte* info)
    {
        new Span<byte>(info, Libc.SigInfoBytes).Clear();
        if (Libc.Ptrace(Libc.PTRACE_GETSIGINFO, _tid, 0, (nint)info) < 0)
        {
            return Libc.LastErrno == Errno.EINVAL ? GroupStop : throw Failure("read why it stopped", Libc.LastErrno);
        }
        int signal = *(int*)info, code = *(int*)(info + Libc.SigInfoCodeOffset);
        return signal == SIGTRAP && (code == (SIGTRAP | 0x80) || code >> 8 != 0) ? code : signal;
    }

    private const int GroupStop = 0x8000;

    private void GetRegisters(ulong[] registers) => Registers(Libc.PTRACE_GETREGSET, registers, "read the registers of");

    private void SetRegisters(ulong[] registers) => Registers(Libc.PTRACE_SETREGSET, registers, "set the registers of");

    private void Registers(int request, ulong[] registers, string what)
    {
        fixed (ulong* values = registers)
        {
            var vector = new Libc.IoVector { Base = values, Length = (nuint)(registers.Length * sizeof(ulong)) };
            Check(Libc.Ptrace(request, _tid, Libc.NT_PRSTATUS, (nint)(&vector)), what);
        }
    }

    private void Check(long result, string what)
    {
        if (result < 0)
        {
            throw Failure(what, Libc.LastErrno);
        }
    }

    private IOException Failure(string what, Errno errno) => new($"could not {what} thread {_tid} with ptrace: {Libc.Describe(errno)}");

    /// <summary>The process a thread belongs to (its Tgid in /proc/TID/status).</summary>
    private static int TgidOf(int tid) => ProcStatusField(tid, "Tgid:");

    private static int ProcStatusField(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return int.Parse(line.AsSpan(field.Length).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        throw new IOException($"/proc/{pid}/status has no {field}");
    }
}

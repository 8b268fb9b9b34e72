using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

// ptrace(2), waitid(2) for a tracee's stops, and the pidfd calls that take a descriptor from another process: what running
// one system call inside the app needs (AppSyscall).
internal static unsafe partial class Libc
{
    internal const int PTRACE_PEEKDATA = 2, PTRACE_GETSIGINFO = 0x4202, PTRACE_SYSCALL = 24, PTRACE_DETACH = 17, PTRACE_GETREGSET = 0x4204, PTRACE_SETREGSET = 0x4205,
        PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207, PTRACE_CONT = 7, PTRACE_GETSIGMASK = 0x420a, PTRACE_SETSIGMASK = 0x420b;

    /// <summary>The event of the stop PTRACE_INTERRUPT or a group-stop makes in a thread seized with PTRACE_SEIZE.</summary>
    internal const int PTRACE_EVENT_STOP = 128;

    /// <summary>PTRACE_O_TRACESYSGOOD: a system-call stop reports SIGTRAP | 0x80, told apart from a real SIGTRAP.</summary>
    internal const long PTRACE_O_TRACESYSGOOD = 1;

    /// <summary>PTRACE_O_EXITKILL: a tracer that exits sends its tracee SIGKILL before the kernel lets it go, so it never runs on from what the tracer left.</summary>
    internal const long PTRACE_O_EXITKILL = 0x100000;

    /// <summary>The register sets: the general registers, and on arm64 the number of the system call a thread is in.</summary>
    internal const int NT_PRSTATUS = 1, NT_ARM_SYSTEM_CALL = 0x404;

    /// <summary>waitid(2)'s P_PID, WSTOPPED and __WALL (any thread, not only a thread-group leader).</summary>
    internal const int P_PID = 1, WSTOPPED = 2, WALL = 0x40000000;

    /// <summary>Where siginfo_t's si_code sits.</summary>
    internal const int SigInfoCodeOffset = 8;

    /// <summary>pidfd_open(2) and pidfd_getfd(2): the same numbers on every architecture.</summary>
    internal const long SYS_pidfd_open = 434, SYS_pidfd_getfd = 438;

    /// <summary>pidfd_send_signal(2) and process_mrelease(2) (Linux 5.15): the same numbers on every architecture.</summary>
    internal const long SYS_pidfd_send_signal = 424, SYS_process_mrelease = 448;

    /// <summary>ptrace(2). Returns 0 (or a word read) or -1 with errno; a PEEK's word can be -1, so errno is cleared before.</summary>
    [LibraryImport(Library, EntryPoint = "ptrace", SetLastError = true)]
    internal static partial long Ptrace(long request, int pid, nint address, nint data);
}

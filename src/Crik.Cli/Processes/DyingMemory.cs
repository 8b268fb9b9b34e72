using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Processes;

/// <summary>
/// Kills processes and frees their memory on crik's core, beside their own exit. A process that dies frees its pages on
/// its own core, one at a time: a quarter of a second for 2 GiB of 4 KiB pages here, and a pod's PID 1 cannot end before
/// its processes have. process_mrelease(2) lets crik free the same memory at the same time, but only while the process is
/// dying and still holds its memory: so each process is opened (pidfd) first, and released right after its SIGKILL. A
/// stopped process (as a dump leaves the app) must first be woken, which leaves crik time, unless a woken thread takes
/// crik's core before the call (crik lost 4 of 11 rounds of the 2 GiB bench so): so the threads are put at SCHED_IDLE
/// first, and a thread at SCHED_IDLE that wakes does not take the core from the one running there (0 of 4 lost). Any
/// failure (an older kernel, a seccomp profile without a call, a process that gave up its memory first) leaves the kernel
/// to free it as it would have.
/// </summary>
internal sealed class DyingMemory : IDisposable
{
    private readonly List<(int Pid, SafeFileHandle Descriptor)> _processes = [];

    /// <summary>Opens each of <paramref name="pids"/> (one that cannot be opened is left to whoever kills it).</summary>
    public DyingMemory(IEnumerable<int> pids)
    {
        foreach (int pid in pids)
        {
            if (Pidfd.TryOpen(pid) is { } descriptor)
            {
                _processes.Add((pid, descriptor));
            }
        }
    }

    /// <summary>Sends each process SIGKILL, then frees each one's memory beside its exit; how many were freed so.</summary>
    public int KillAndRelease()
    {
        foreach (int thread in _processes.SelectMany(p => ProcessTree.Threads(p.Pid)))
        {
            _ = Libc.SchedSetScheduler(thread, Libc.SCHED_IDLE, 0); // refused or gone: it dies as it is
        }
        foreach ((_, SafeFileHandle descriptor) in _processes)
        {
            _ = Libc.Syscall4(Libc.SYS_pidfd_send_signal, descriptor.DangerousGetHandle(), (long)Signal.SIGKILL, 0, 0);
        }
        return _processes.Count(p => Libc.Syscall3(Libc.SYS_process_mrelease, p.Descriptor.DangerousGetHandle(), 0, 0) == 0);
    }

    public void Dispose()
    {
        foreach ((_, SafeFileHandle descriptor) in _processes)
        {
            descriptor.Dispose();
        }
    }
}

using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>
/// Whether a process that /proc does not show stopped will stop before it runs its own code again. A SIGSTOP stays
/// pending while the process sleeps uninterruptibly: a shell waiting in vfork for a child that was stopped before its
/// exec shows 'D' for as long as the child is stopped. And a group stop under way stops each thread on its way back to
/// user space while /proc shows the leader's own state. A SIGCONT removes a pending SIGSTOP and wakes every stopped
/// thread, so after one neither is seen.
/// </summary>
internal static class StopOnItsWay
{
    private const ulong Sigstop = 1UL << (19 - 1);

    public static bool Of(int pid) =>
        (PendingSignals(pid) & Sigstop) != 0
        || ProcessTree.Threads(pid).Any(tid => ProcFiles.StatFields(ProcFiles.Text($"/proc/{pid}/task/{tid}/stat")) is ["T", ..]);

    /// <summary>The signals pending for the process as a whole and for its leader thread (none when it is gone).</summary>
    private static ulong PendingSignals(int pid)
    {
        ProcStatus status = ProcFiles.Status($"/proc/{pid}/status");
        return (status.SigPnd ?? 0) | (status.ShdPnd ?? 0);
    }
}

using System.Diagnostics;

namespace Crik.Cli.Processes;

/// <summary>
/// Whether every thread of some processes has stopped: its /proc/PID/task/TID/stat shows 'T' or 't', or it is a zombie or
/// gone. A process a tracer sent SIGSTOP and then let go of (CRIU's restore with --leave-stopped, which exits without waiting)
/// may still run in the kernel a while: it takes a signal queued for the thread, or one numbered below SIGSTOP, first, and
/// writes its frame into its memory; a page fault meanwhile shows 'S'. Once stopped, it stays so until a SIGCONT.
/// </summary>
internal static class AllThreadsStopped
{
    /// <summary>Waits up to <paramref name="wait"/> for every thread of <paramref name="pids"/> to stop: true once all have.</summary>
    public static bool Within(IReadOnlyCollection<int> pids, TimeSpan wait)
    {
        long start = Stopwatch.GetTimestamp();
        while (!pids.All(Stopped))
        {
            if (Stopwatch.GetElapsedTime(start) >= wait)
            {
                return false;
            }
            Thread.Sleep(1);
        }
        return true;
    }

    private static bool Stopped(int pid) =>
        ProcessTree.Threads(pid).All(tid => ProcFiles.StatFields(ProcFiles.Text($"/proc/{pid}/task/{tid}/stat")) is [] or ["T" or "t" or "Z" or "X", ..]);
}

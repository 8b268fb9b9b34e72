using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>
/// The processes below crik when crik is not PID 1 (started by a shell or under another init, a child subreaper then): its exit
/// ends none of them, as a PID 1's ends its namespace's, so a crik that fails kills them first. Else an app would run on beside
/// the one a crik started again restores, and hold its ports.
/// </summary>
internal static class EverythingBelow
{
    /// <summary>Far more than a tree forking as it is killed needs: each pass kills what the last one could not see yet.</summary>
    private const int MaxPasses = 100;

    /// <summary>SIGKILLs every process below crik (the app's tree, what it left to crik, CRIU's), unless crik is PID 1.</summary>
    public static void KillUnlessPid1()
    {
        int self = Environment.ProcessId;
        if (self == 1)
        {
            return;
        }
        var killed = new HashSet<int> { self };
        // A process killed cannot fork any more (a fatal signal pending aborts a fork), but one may have forked before it was.
        for (int pass = 0; pass < MaxPasses; pass++)
        {
            List<int> left = ProcessTree.Processes(self).Where(pid => !killed.Contains(pid)).ToList();
            if (left.Count == 0)
            {
                return;
            }
            foreach (int pid in left)
            {
                Posix.TrySignal(pid, Signal.SIGKILL);
                killed.Add(pid);
            }
        }
    }
}

using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Processes;

/// <summary>
/// The processes a restore made, killed by descriptor, never by a number read earlier: a number in the checkpoint's
/// list may by now name a thread of crik's or a process that took it after a restored one ended. They are crik's
/// children that hold one of the checkpoint's IDs (its root, and restored processes whose parent died), and their
/// descendants. Each is opened (pidfd) first and its parent read after: a number reused between the listing and the
/// open has another parent, and is left alone.
/// </summary>
internal static class RestoredTree
{
    /// <summary>Sends SIGKILL to each restored process still there; the PIDs it reached.</summary>
    /// <param name="ids">The checkpoint's IDs, as CRIU gives them back.</param>
    public static List<int> Kill(IReadOnlyCollection<int> ids)
    {
        // All are opened before any is killed: a killed parent's children become crik's, and would no longer be found as its.
        List<(int Pid, SafeFileHandle Descriptor)> opened = Open(ids);
        try
        {
            return opened.Where(p => Libc.Syscall4(Libc.SYS_pidfd_send_signal, p.Descriptor.DangerousGetHandle(), (long)Signal.SIGKILL, 0, 0) == 0)
                .Select(p => p.Pid).ToList();
        }
        finally
        {
            opened.ForEach(p => p.Descriptor.Dispose());
        }
    }

    private static List<(int Pid, SafeFileHandle Descriptor)> Open(IReadOnlyCollection<int> ids)
    {
        var opened = new List<(int, SafeFileHandle)>();
        int crik = Environment.ProcessId;
        var pending = new Stack<(int Pid, int Parent)>(ProcessTree.Children(crik).Where(ids.Contains).Select(pid => (pid, crik)));
        var seen = new HashSet<int>();
        while (pending.TryPop(out (int Pid, int Parent) next))
        {
            if (!seen.Add(next.Pid) || Pidfd.TryOpen(next.Pid) is not { } descriptor)
            {
                continue;
            }
            if (ProcessTree.ParentOf(next.Pid) != next.Parent)
            {
                descriptor.Dispose();
                continue;
            }
            opened.Add((next.Pid, descriptor));
            foreach (int child in ProcessTree.Children(next.Pid))
            {
                pending.Push((child, next.Pid));
            }
        }
        return opened;
    }
}

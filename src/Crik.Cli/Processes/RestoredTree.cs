using System.Diagnostics;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Processes;

/// <summary>
/// The processes of a restored app, killed by descriptor, never by a number read earlier: a number in the checkpoint's
/// list may by now name a thread of crik's or a process that took it after a restored one ended. They are crik's
/// children that hold one of the checkpoint's IDs (its root, and restored processes whose parent died) or that crik
/// adopted (a process the app started whose parent died, a daemon), and their descendants. Each is opened (pidfd) first
/// and its parent read after: a number reused between the listing and the open has another parent, and is left alone.
/// The tree is walked again once all are killed, until a walk finds no process it had not reached (a child forked after
/// its parent was read, before SIGKILL reached it) and every process reached has exited: a process that is dying moves its
/// children to crik as it exits, and a walk that read crik's children before the move and the dying parent's after it
/// would find the child in neither.
/// </summary>
internal static class RestoredTree
{
    /// <summary>How long the walks go on for processes still dying (one in uninterruptible sleep takes its time): then crik goes on.</summary>
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(1);

    /// <summary>Sends SIGKILL to each of the app's processes still there; the PIDs it reached.</summary>
    /// <param name="ids">The checkpoint's IDs, as CRIU gives them back.</param>
    /// <param name="adopted">crik's children it adopted, as they are now (<see cref="ChildReaper.Adopted"/>).</param>
    public static List<int> Kill(IReadOnlyCollection<int> ids, Func<HashSet<int>> adopted)
    {
        var reached = new HashSet<int>();
        var clock = Stopwatch.StartNew();
        for (int walk = 0; ; walk++)
        {
            int before = reached.Count;
            reached.UnionWith(KillOnce(ids, adopted()));
            bool foundNone = walk > 0 && reached.Count == before;
            if ((foundNone && reached.All(HasExited)) || clock.Elapsed > SettleLimit)
            {
                break;
            }
            if (foundNone)
            {
                Thread.Sleep(1);
            }
        }
        return [.. reached.Order()];
    }

    /// <summary>Whether the process has exited (a zombie, or gone): its children are crik's by then.</summary>
    private static bool HasExited(int pid) => ProcFiles.StatFields(pid) is [] or ["Z" or "X", ..];

    private static List<int> KillOnce(IReadOnlyCollection<int> ids, HashSet<int> adopted)
    {
        // All are opened before any is killed: a killed parent's children become crik's, and would no longer be found as its.
        List<(int Pid, SafeFileHandle Descriptor)> opened = Open(ids, adopted);
        try
        {
            return opened.Where(p => Pidfd.TrySignal(p.Descriptor, Signal.SIGKILL)).Select(p => p.Pid).ToList();
        }
        finally
        {
            opened.ForEach(p => p.Descriptor.Dispose());
        }
    }

    private static List<(int Pid, SafeFileHandle Descriptor)> Open(IReadOnlyCollection<int> ids, HashSet<int> adopted)
    {
        var opened = new List<(int, SafeFileHandle)>();
        int crik = Environment.ProcessId;
        var pending = new Stack<(int Pid, int Parent)>(ProcessTree.Children(crik).Where(pid => ids.Contains(pid) || adopted.Contains(pid)).Select(pid => (pid, crik)));
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

using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Which process a child forked since the restore is: the fork's event gives crik the child's userfaultfd, never its PID.
/// What the kernel orders (kernel/fork.c, copy_process): the child's memory is copied, and the fork's event sent and read,
/// before the child gets its PID and joins its parent's children, and only a fork of memory registered with crik gives
/// a child such memory (VmFlags "um"). So every child with such memory that no task of crik's claims is a fork whose event
/// crik has read; when the parent has one such fork not yet found, and one such child, that child is it. A child that
/// shares its parent's memory (vfork, posix_spawn) is not a fork of it. Anything else is not a guess: not found (yet).
/// </summary>
internal static class ForkedChild
{
    /// <summary>
    /// The PID of the one fork of process <paramref name="parentPid"/> not found yet; null when crik cannot tell (more than one
    /// such fork, <paramref name="unfound"/>, or not exactly one such child).
    /// </summary>
    public static int? Find(int parentPid, IReadOnlySet<int> claimed, int unfound)
    {
        if (unfound != 1)
        {
            return null;
        }
        IEnumerable<int> children = Candidates(parentPid, Environment.ProcessId, ProcessTree.Children, Gone);
        return Choose(children.Where(c => !claimed.Contains(c)), c => Kcmp.SameMemory(parentPid, c) == true, ForkInheritance.HasRegisteredMemory);
    }

    /// <summary>
    /// The parent's children, and the reaper's (crik: PID 1 or a subreaper) when the parent is gone. The parent's own list is
    /// read first: a parent that exits hands its children to the reaper before it becomes a zombie (exit_notify), so once
    /// crik sees it gone, a child that was not in the list read before is in the reaper's. Asked the other way round, a
    /// parent that exits between the two reads leaves its child in neither.
    /// </summary>
    public static List<int> Candidates(int parentPid, int reaperPid, Func<int, IEnumerable<int>> children, Func<int, bool> gone)
    {
        List<int> found = [.. children(parentPid)];
        if (gone(parentPid))
        {
            found.AddRange(children(reaperPid));
        }
        return found;
    }

    /// <summary>The one candidate that does not share its parent's memory and has memory registered with crik; null unless exactly one does.</summary>
    public static int? Choose(IEnumerable<int> candidates, Func<int, bool> sharesParentsMemory, Func<int, bool> registered)
    {
        List<int> found = [.. candidates.Distinct().Where(c => !sharesParentsMemory(c) && registered(c)).Take(2)];
        return found.Count == 1 ? found[0] : null;
    }

    /// <summary>Whether the process has exited (a zombie's children are already someone else's) or is gone.</summary>
    private static bool Gone(int pid) => ProcFiles.StatFields(pid) is not [string state, ..] || state is "Z" or "X";
}

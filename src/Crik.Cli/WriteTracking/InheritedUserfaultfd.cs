using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.WriteTracking;

/// <summary>
/// The copies of crik's userfaultfd that children of the app got by forking while the app held it: from the call that made it
/// to the one that closed it, other threads of a running process go on, and a fork copies every descriptor (O_CLOEXEC closes
/// it only at an exec). A child that runs on without an exec would hold it for good, and CRIU cannot dump a userfaultfd: every
/// checkpoint would fail while that child lives. Each copy is closed in the child that holds it.
/// </summary>
internal static class InheritedUserfaultfd
{
    /// <summary>How many times the tree is looked at again: a child that held a copy may have forked before crik closed it.</summary>
    private const int Looks = 3;

    /// <summary>
    /// Closes every copy of <paramref name="taken"/> (descriptor <paramref name="numberInApp"/> in process <paramref name="pid"/>
    /// when it made it) that another process of the tree rooted at <paramref name="root"/> holds. Throws IOException, naming
    /// the process, when one cannot be closed.
    /// </summary>
    /// <remarks>
    /// A fork under way when the app closed its own may show its child only after a look: the child is listed once the fork
    /// has copied the parent's memory, after its descriptors. Each checkpoint looks again before CRIU runs.
    /// </remarks>
    /// <param name="tree">The processes of the tree, when just read: the first look's (later looks read it again).</param>
    public static void CloseCopies(int pid, int root, SafeFileHandle taken, int numberInApp, TimeSpan wait, CodeArea? vdso, IReadOnlyList<int>? tree = null)
    {
        int own = (int)taken.DangerousGetHandle();
        for (int look = 0; look < Looks; look++)
        {
            List<int> holders = Holders(pid, look == 0 && tree is not null ? tree : ProcessTree.Processes(root), own, numberInApp);
            if (holders.Count == 0)
            {
                return;
            }
            holders.ForEach(child => CloseIn(pid, child, own, numberInApp, wait, vdso));
        }
        if (Holders(pid, ProcessTree.Processes(root), own, numberInApp) is [int left, ..])
        {
            throw new IOException($"process {left} still holds a copy of the userfaultfd crik made in process {pid} (its children fork faster than crik "
                + "closes them), and CRIU cannot checkpoint the app while it lives");
        }
    }

    private static List<int> Holders(int pid, IReadOnlyList<int> tree, int own, int numberInApp) =>
        [.. tree.Where(other => other != pid && Kcmp.SameFileAsOwn(own, other, numberInApp) == true)];

    private static void CloseIn(int pid, int child, int own, int numberInApp, TimeSpan wait, CodeArea? vdso)
    {
        AppSyscall call;
        try
        {
            call = AppSyscall.Stop(child, wait, vdso);
        }
        catch (IOException) when (Kcmp.SameFileAsOwn(own, child, numberInApp) != true)
        {
            return; // it ended, or ran another program, since it was looked at
        }
        using (call)
        {
            // Looked at again with the child stopped: while a thread of its own could run, it might have closed the copy and
            // opened another file at the same number. A child just forked has one thread; one that has made more is left alone.
            if (Kcmp.SameFileAsOwn(own, child, numberInApp) != true)
            {
                return;
            }
            int threads = ProcessTree.Threads(child).Count();
            if (threads == 0)
            {
                return; // it ended meanwhile
            }
            string why = threads != 1 ? "has threads of its own, so crik cannot close it safely"
                : CloseOrWhyNot(call, child, own, numberInApp) is { } error ? $"crik could not close it: {error}"
                : "";
            if (why.Length > 0)
            {
                throw new IOException($"process {child}, forked by process {pid} while it held the userfaultfd crik made there, holds a copy "
                    + $"of it and {why}; CRIU cannot checkpoint the app while that process lives");
            }
        }
    }

    /// <summary>Closes the copy in the stopped child: null when done or when the child ended meanwhile, else why not.</summary>
    private static string? CloseOrWhyNot(AppSyscall call, int child, int own, int numberInApp)
    {
        try
        {
            return AppUserfaultfd.Close(call, numberInApp)?.Message();
        }
        catch (IOException) when (Kcmp.SameFileAsOwn(own, child, numberInApp) != true)
        {
            return null; // it ended, killed while crik held it
        }
    }
}

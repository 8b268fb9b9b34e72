using Crik.Cli.Processes;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Processes of the app that a dump leaves out: CRIU checkpoints the tree of the app's first process, and a process whose
/// parent exited (a daemon, started with a double fork or <c>setsid</c>) was adopted by crik, outside that tree. Each
/// checkpoint says so, since the next pod restores the app without them.
/// </summary>
internal static class LeftOutProcesses
{
    /// <summary>
    /// Each process among <paramref name="adopted"/> (crik's children it did not start, <see cref="ChildReaper.Adopted"/>) that
    /// has not ended, as "PID 42 (sshd)", with how many processes it has below it; empty when there is none.
    /// </summary>
    public static List<string> Of(IEnumerable<int> adopted) =>
        [.. adopted.Order().Where(Running).Select(pid => (Pid: pid, Below: ProcessTree.Processes(pid).Count - 1))
            .Select(p => $"PID {p.Pid} ({ProcessDescriptors.Name(p.Pid)}){(p.Below > 0 ? $" and {p.Below} below it" : "")}")];

    /// <summary>Not a zombie waiting for crik's reaper, nor gone.</summary>
    private static bool Running(int pid) => ProcFiles.StatFields(pid) is [{ Length: > 0 } state, ..] && state[0] is not ('Z' or 'X');
}

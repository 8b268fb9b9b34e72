using System.Globalization;

namespace Crik.Cli.Processes;

/// <summary>Reads a process tree from /proc.</summary>
internal static class ProcessTree
{
    /// <summary>Every PID and thread ID in the tree rooted at <paramref name="root"/>.</summary>
    public static List<int> PidsAndThreads(int root) => PidsAndThreadsOf(Processes(root));

    /// <summary>Every PID and thread ID of these processes, in order.</summary>
    public static List<int> PidsAndThreadsOf(IEnumerable<int> processes) => processes.SelectMany(Threads).Distinct().Order().ToList();

    /// <summary>The threads of process <paramref name="pid"/> (none when it has gone).</summary>
    public static IEnumerable<int> Threads(int pid) =>
        ProcFiles.Directories($"/proc/{pid}/task")
            .Select(task => int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out int tid) ? tid : 0)
            .Where(tid => tid > 0);

    /// <summary>Every process (not thread) in the tree rooted at <paramref name="root"/>.</summary>
    public static List<int> Processes(int root)
    {
        var pids = new List<int>();
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out int pid))
        {
            pids.Add(pid);
            foreach (int child in Children(pid))
            {
                pending.Push(child);
            }
        }
        return pids.Distinct().Order().ToList();
    }

    /// <summary>Every process in this PID namespace (as the /proc mounted here shows it).</summary>
    public static List<int> All() =>
        ProcFiles.Names("/proc").Select(name => int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : 0)
            .Where(pid => pid > 0).Order().ToList();

    /// <summary>What descriptors 0, 1 and 2 of a process are, e.g. "pipe:[1234]" or "/dev/null".</summary>
    public static List<string> Stdio(int pid) =>
        Enumerable.Range(0, 3).Select(fd => new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget ?? "").ToList();

    /// <summary>The PID of a process's real parent (a tracer is not one), as its status says; 0 when it is gone.</summary>
    public static int ParentOf(int pid) => ProcFiles.Status($"/proc/{pid}/status").PPid ?? 0;

    /// <summary>The children of process <paramref name="pid"/>, as each of its threads lists them (none when it has gone).</summary>
    public static IEnumerable<int> Children(int pid) =>
        ProcFiles.Directories($"/proc/{pid}/task")
            .SelectMany(task => ProcFiles.Text(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(child => int.Parse(child, CultureInfo.InvariantCulture));

    /// <summary>Which of these PIDs exist now (a restore needs them all free).</summary>
    public static List<int> InUse(IEnumerable<int> pids) => pids.Where(pid => Directory.Exists($"/proc/{pid}")).ToList();
}

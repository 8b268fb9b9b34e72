namespace Crik.TestSupport;

/// <summary>Reads /proc of the host (processes in child PID namespaces are visible with host PIDs).</summary>
public static class ProcessTable
{
    public sealed record Entry(int Pid, int ParentPid, char State, string Name);

    public static List<Entry> All()
    {
        var entries = new List<Entry>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }
            try
            {
                string[] lines = File.ReadAllLines(Path.Combine(dir, "status"));
                string Field(string name) => lines.First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
                entries.Add(new Entry(pid, int.Parse(Field("PPid")), Field("State")[0], Field("Name")));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The process ended while we read it.
            }
        }
        return entries;
    }

    /// <summary>
    /// Whether a SIGSTOP is pending for the process (for it as a whole or its leader thread): it stops before it runs its
    /// own code again. A shell waiting in vfork for a child stopped before its exec sleeps in 'D' with one pending.
    /// </summary>
    public static bool StopPending(int pid)
    {
        try
        {
            return File.ReadAllLines($"/proc/{pid}/status")
                .Where(l => l.StartsWith("SigPnd:", StringComparison.Ordinal) || l.StartsWith("ShdPnd:", StringComparison.Ordinal))
                .Any(l => (ulong.Parse(l[7..].Trim(), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture) & (1UL << 18)) != 0);
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static List<Entry> ChildrenOf(int pid) => All().Where(e => e.ParentPid == pid).ToList();

    /// <summary>The thread that traces the thread at <paramref name="task"/> (/proc/PID/task/TID): 0 when none, -1 when it is gone.</summary>
    public static int TracerOf(string task)
    {
        try
        {
            string line = File.ReadAllLines(Path.Combine(task, "status")).First(l => l.StartsWith("TracerPid:", StringComparison.Ordinal));
            return int.Parse(line["TracerPid:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return -1;
        }
    }

    /// <summary>The /proc directory (/proc/PID/task/TID) of the thread of <paramref name="pid"/> named <paramref name="name"/>, or null.</summary>
    public static string? ThreadNamed(int pid, string name) =>
        Directory.GetDirectories($"/proc/{pid}/task").FirstOrDefault(task => ReadOrEmpty(Path.Combine(task, "comm")).Trim() == name);

    /// <summary>The nice value of the thread at <paramref name="task"/> (/proc/PID/task/TID, or /proc/thread-self): field 19 of its stat.</summary>
    public static int NiceOf(string task)
    {
        string stat = File.ReadAllText(Path.Combine(task, "stat"));
        // The fields after the command's closing parenthesis start at field 3.
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ""; // the thread ended meanwhile
        }
    }

    /// <summary>
    /// Waits until a process named <paramref name="name"/> has been re-parented to
    /// <paramref name="parent"/>, kills it, then waits until it is gone from /proc altogether: an
    /// exited child that nobody reaps stays there as a zombie, so this fails unless the parent really
    /// reaps it. The orphan must live until killed, so a slow machine cannot miss it.
    /// </summary>
    public static void AssertReparentedThenReaped(int parent, string name, string transcript)
    {
        Entry? orphan = Poll.Until(() => ChildrenOf(parent).FirstOrDefault(e => e.Name == name),
            $"a {name} process re-parented to {parent}\n{transcript}");
        Native.Signal(orphan.Pid, Native.SIGKILL);
        Poll.Until(() => Directory.Exists($"/proc/{orphan.Pid}") ? null : "gone",
            $"{name} ({orphan.Pid}) to be reaped by {parent}; it is {All().FirstOrDefault(e => e.Pid == orphan.Pid)}\n{transcript}");
    }

    /// <summary>Every process below <paramref name="pid"/> (not itself), children before their own.</summary>
    public static List<Entry> DescendantsOf(int pid)
    {
        List<Entry> all = All();
        var found = new List<Entry>();
        var parents = new Queue<int>([pid]);
        while (parents.TryDequeue(out int parent))
        {
            foreach (Entry child in all.Where(e => e.ParentPid == parent))
            {
                found.Add(child);
                parents.Enqueue(child.Pid);
            }
        }
        return found;
    }

    /// <summary>
    /// The proportional set size of every process below <paramref name="pid"/>, summed, in bytes: the
    /// memory the tree really uses, where a page shared by n processes counts 1/n in each.
    /// </summary>
    public static long TreePss(int pid) =>
        DescendantsOf(pid).Sum(e =>
        {
            try
            {
                string line = File.ReadLines($"/proc/{e.Pid}/smaps_rollup").First(l => l.StartsWith("Pss:", StringComparison.Ordinal));
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
            catch (Exception x) when (x is IOException or InvalidOperationException)
            {
                return 0L; // the process ended while we read it
            }
        });

    public static string NamespaceOf(int pid, string kind) => new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget ?? "";
}

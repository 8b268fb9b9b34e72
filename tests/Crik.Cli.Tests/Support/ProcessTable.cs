namespace Crik.Cli.Tests.Support;

/// <summary>Reads /proc of the host (processes in child PID namespaces are visible with host PIDs).</summary>
internal static class ProcessTable
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

    public static List<Entry> ChildrenOf(int pid) => All().Where(e => e.ParentPid == pid).ToList();

    public static string NamespaceOf(int pid, string kind) => new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget ?? "";
}

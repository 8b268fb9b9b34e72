using System.Globalization;
using System.Runtime.InteropServices;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// What a child forked from a process has of its parent's memory, as the kernel decides it at fork
/// (dup_mmap in kernel/fork.c): an area with MADV_DONTFORK (VM_DONTCOPY, "dc" in smaps' VmFlags) is not in
/// the child at all, and one with MADV_WIPEONFORK (VM_WIPEONFORK, "wf") is there without its pages: the child
/// reads zeros. Read from /proc while the parent waits in fork for crik to read the fork's event, and
/// which process a child forked since the restore is, which the event does not say.
/// </summary>
internal static class ForkInheritance
{
    /// <summary>
    /// The areas of process <paramref name="pid"/> a child it forks does not have as they are, in address order;
    /// throws IOException when its smaps cannot be read (then crik cannot know what the child has).
    /// </summary>
    public static List<(ulong Start, ulong End)> NotInherited(int pid)
    {
        string smaps = ProcFiles.Text($"/proc/{pid}/smaps");
        if (smaps.Length == 0)
        {
            // The kernel lets the parent go on as crik reads the fork's event: gone now, it may have been killed in the fork (the
            // child never runs) or have exited after it (a daemon's double fork, whose child runs on). Which, and what the
            // child has, nothing says any more: the fill fails rather than give the child zeros where it has its parent's pages.
            throw new IOException($"/proc/{pid}/smaps could not be read (the process {(ProcFiles.StatFields(pid) is [] ? "has gone" : "is exiting")} since "
                + "its fork), so crik cannot tell which of its memory a child it forked has");
        }
        return NotInheritedIn(smaps);
    }

    /// <summary>The areas of a smaps text whose VmFlags hold "dc" or "wf".</summary>
    public static List<(ulong Start, ulong End)> NotInheritedIn(string smaps)
    {
        var ranges = new List<(ulong Start, ulong End)>();
        (ulong Start, ulong End)? area = null;
        foreach (string line in smaps.Split('\n'))
        {
            if (Header(line) is { } header)
            {
                area = header;
            }
            else if (line.StartsWith("VmFlags:", StringComparison.Ordinal) && area is { } current)
            {
                string[] flags = line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (flags.Contains("dc") || flags.Contains("wf"))
                {
                    ranges.Add(current);
                }
                area = null;
            }
        }
        return ranges;
    }

    /// <summary>Process <paramref name="pid"/>'s children, from every thread's children file.</summary>
    public static HashSet<int> Children(int pid) => [.. ProcessTree.Children(pid)];

    /// <summary>Whether a thread of process <paramref name="pid"/> is in a fork now (/proc/PID/task/TID/syscall).</summary>
    public static bool InFork(int pid)
    {
        int[] forks = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? [220, 435] : [56, 57, 58, 435]; // clone, (fork, vfork,) clone3
        foreach (string thread in ProcFiles.Names($"/proc/{pid}/task"))
        {
            string syscall = ProcFiles.Text($"/proc/{pid}/task/{thread}/syscall");
            int end = syscall.IndexOf(' ');
            if (end > 0 && int.TryParse(syscall.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out int number) && forks.Contains(number))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>"START-END perms ..." of a smaps area's first line, or null for any other line.</summary>
    private static (ulong Start, ulong End)? Header(string line)
    {
        int dash = line.IndexOf('-'), space = line.IndexOf(' ');
        if (dash <= 0 || space <= dash)
        {
            return null;
        }
        return ulong.TryParse(line.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
            && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end)
            && end > start ? (start, end) : null;
    }
}

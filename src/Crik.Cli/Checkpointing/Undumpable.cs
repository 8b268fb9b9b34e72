using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// What CRIU cannot dump, found before it tries, with the process, the descriptor and the reason named. CRIU 4.2 has no
/// support for POSIX message queues, and its log then says only "Can't lookup mount=N for fd=3 path=/NAME"; nor for a
/// userfaultfd ("Can't dump file 3 of that type [600]"), which an app that handles its own page faults holds.
/// </summary>
internal static class Undumpable
{
    /// <summary>Why the tree rooted at <paramref name="root"/> cannot be dumped, in one line; null when nothing known stops it.</summary>
    public static string? Find(int root)
    {
        List<string> reasons = ProcessTree.Processes(root).Select(Why).OfType<string>().ToList();
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    /// <summary>One line for each process of this container (but the caller) that CRIU could not dump, for crik check.</summary>
    public static List<string> InThisContainer() =>
        ProcessTree.All().Where(pid => pid != Environment.ProcessId).Select(Why).OfType<string>().ToList();

    /// <summary>Why CRIU cannot dump this process, or null.</summary>
    private static string? Why(int pid)
    {
        List<(int Fd, string Target)> descriptors = ProcessDescriptors.Of(pid);
        List<string> reasons = [];
        List<string> queues = descriptors
            .Where(d => FileSystemType.Of($"/proc/{pid}/fd/{d.Fd}") == FileSystemType.MessageQueue)
            .Select(d => $"{d.Target} on fd {d.Fd}").ToList();
        if (queues.Count > 0)
        {
            reasons.Add($"holds POSIX message queue{(queues.Count > 1 ? "s" : "")} {string.Join(", ", queues)}: "
                + "CRIU cannot checkpoint POSIX message queues, so the app cannot be checkpointed while it holds one");
        }
        List<int> userfaultfds = [.. descriptors.Where(d => d.Target == UserfaultfdTarget).Select(d => d.Fd)];
        if (userfaultfds.Count > 0)
        {
            reasons.Add($"holds a userfaultfd on fd {string.Join(", ", userfaultfds)}: CRIU cannot checkpoint a userfaultfd, so the "
                + "app cannot be checkpointed while it handles its own page faults (and with trackWrites on, crik's tracking "
                + "may take the memory it would register: set trackWrites: off for such an app)");
        }
        return reasons.Count == 0 ? null : $"PID {pid} ({ProcessDescriptors.Name(pid)}) {string.Join("; and ", reasons)}";
    }

    private const string UserfaultfdTarget = "anon_inode:[userfaultfd]";
}

using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// What CRIU cannot dump, found before it tries. CRIU 4.2 has no support for POSIX message queues,
/// and its log then says only "Can't lookup mount=N for fd=3 path=/NAME"; this names the process,
/// the descriptor and the reason instead.
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
        List<string> queues = ProcessDescriptors.Of(pid)
            .Where(d => FileSystemType.Of($"/proc/{pid}/fd/{d.Fd}") == FileSystemType.MessageQueue)
            .Select(d => $"{d.Target} on fd {d.Fd}").ToList();
        return queues.Count == 0 ? null
            : $"PID {pid} ({ProcessDescriptors.Name(pid)}) holds POSIX message queue{(queues.Count > 1 ? "s" : "")} {string.Join(", ", queues)}: "
                + "CRIU cannot checkpoint POSIX message queues, so the app cannot be checkpointed while it holds one";
    }
}

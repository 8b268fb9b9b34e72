using Crik.Cli.Interop;

namespace Crik.Cli.WriteTracking;

/// <summary>Which of a process's threads crik stops to run a call in (<see cref="AppSyscall"/>), and whether it may.</summary>
internal static class CallingThread
{
    /// <summary>
    /// One of the process's threads, stopped to run calls in: its main thread, or else the first other, where the main thread
    /// has ended (a zombie cannot be stopped to run a call) or waits in a call with a signal mask of its own, which crik cannot
    /// block signals in (<see cref="AppSyscall.InOwnMaskCall"/>). Throws IOException when none can, or when the thread chosen
    /// must not be made to call userfaultfd (<see cref="SeccompRisk"/>).
    /// </summary>
    public static AppSyscall Stop(int pid, TimeSpan wait, CodeArea? vdso)
    {
        List<int> living = [.. Threads(pid).Where(tid => !IsZombie(pid, tid))];
        int tid = living.Where(tid => !AppSyscall.InOwnMaskCall(pid, tid)).Concat(living).FirstOrDefault();
        if (tid == 0)
        {
            throw new IOException($"process {pid} has no thread left to run a call in");
        }
        return SeccompRisk.Of(pid, tid) is { } risk ? throw new IOException(risk) : AppSyscall.Stop(tid, wait, vdso);
    }

    /// <summary>The process's threads, its main thread first.</summary>
    private static IEnumerable<int> Threads(int pid) =>
        new[] { pid }.Concat(Directory.EnumerateDirectories($"/proc/{pid}/task")
            .Select(path => int.TryParse(Path.GetFileName(path), out int tid) ? tid : 0)
            .Where(tid => tid > 0 && tid != pid));

    private static bool IsZombie(int pid, int tid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/task/{tid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (IOException)
        {
            return true;
        }
    }
}

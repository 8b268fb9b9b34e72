using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>
/// crik's own long-lived threads: background, so none keeps crik from exiting; named, for stack dumps
/// and /proc; and run under <see cref="Guard"/>, so that an exception nobody expected ends as the
/// thread's owner decides, never as a crash of PID 1.
/// </summary>
internal static class BackgroundThread
{
    /// <summary>A thread crik cannot go on without (the reaper, the lease): its failure is <see cref="Guard.Fatal"/>.</summary>
    public static Thread Start(ThreadStart body, string name) => Start(body, name, Guard.Fatal);

    /// <param name="failed">What an unexpected exception on this thread does (the thread's name and the exception).</param>
    public static Thread Start(ThreadStart body, string name, Action<string, Exception> failed)
    {
        var thread = new Thread(() => Guard.Run(name, () => body(), failed)) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    /// <summary>The nice value of work the running app does not wait for (<see cref="YieldToTheApp"/>).</summary>
    public const int YieldingNice = 10;

    /// <summary>
    /// Lowers the calling thread's CPU priority to <see cref="YieldingNice"/>: what it does (memory the app has not
    /// asked for yet) gets the CPU the app, CRIU and the app's own page faults leave. Without it, on a node short of
    /// CPU, a lazily restored app's first requests queue behind crik's fill. Where it cannot be lowered, it stays.
    /// </summary>
    public static void YieldToTheApp() => Posix.TrySetOwnThreadNice(YieldingNice);
}

using System.Collections.Concurrent;
using Crik.Cli.Interop;
using Crik.Cli.Timing;

namespace Crik.Cli.Guarding;

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
        var thread = new Thread(() => Guard.Run(name, Late, failed)) { IsBackground = true, Name = name };
        thread.Start();
        return thread;

        void Late()
        {
            TestDelay.BeforeThreadStart();
            body();
        }
    }

    /// <summary>
    /// As <see cref="Start(ThreadStart, string, Action{string, Exception})"/>, without waiting for the thread to run: .NET's
    /// <see cref="Thread.Start()"/> returns only once the new thread runs, and on a busy node (CRIU and crik's readers on
    /// both cores) that is milliseconds per thread, on the restore's path to the app's first answer. crik's thread starter,
    /// one thread of its own, starts them in the order asked; a thread that cannot be started goes to <paramref name="failed"/>.
    /// </summary>
    public static void StartSoon(ThreadStart body, string name, Action<string, Exception> failed) => Starter.Value.Add((body, name, failed));

    private static readonly Lazy<BlockingCollection<(ThreadStart Body, string Name, Action<string, Exception> Failed)>> Starter = new(() =>
    {
        var asked = new BlockingCollection<(ThreadStart Body, string Name, Action<string, Exception> Failed)>();
        Start(() =>
        {
            foreach ((ThreadStart body, string name, Action<string, Exception> failed) in asked.GetConsumingEnumerable())
            {
                Guard.Run(name, () => Start(body, name, failed), failed);
            }
        }, "crik thread starter");
        return asked;
    });

    /// <summary>The nice value of work the running app does not wait for (<see cref="YieldToTheApp"/>).</summary>
    public const int YieldingNice = 10;

    /// <summary>
    /// Lowers the calling thread's CPU priority to <see cref="YieldingNice"/>: what it does (memory the app has not
    /// asked for yet) gets the CPU the app, CRIU and the app's own page faults leave. Without it, on a node short of
    /// CPU, a lazily restored app's first requests queue behind crik's fill. Where it cannot be lowered, it stays.
    /// </summary>
    public static void YieldToTheApp() => Posix.TrySetOwnThreadNice(YieldingNice);
}

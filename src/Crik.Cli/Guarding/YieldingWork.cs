using System.Collections.Concurrent;

namespace Crik.Cli.Guarding;

/// <summary>
/// Work that runs beside an app which runs on (the chunks a periodic checkpoint's copy and gather store): on threads whose CPU
/// priority is lowered to <see cref="BackgroundThread.YieldingNice"/>, so that the app's own threads get the CPU first and
/// crik's work takes what they leave. A nice value, once raised, cannot be lowered again without CAP_SYS_NICE, so such work
/// never runs on the thread pool: <see cref="Run"/> hands leaf work (a chunk to store, which never waits for other work of
/// these threads) to a few threads kept for it. Work that holds a lock the app may wait for (a read of its memory holds its
/// memory's) must not yield: the app would wait for crik's lowered priority.
/// </summary>
internal static class YieldingWork
{
    private static readonly Lazy<BlockingCollection<(Action Work, TaskCompletionSource Done)>> Queue = new(StartWorkers);

    /// <summary>
    /// Runs <paramref name="work"/> on one of the threads kept for leaf work, whose priority is lowered; the task ends when it
    /// did, with what it threw. The work must not wait for other work handed here: the threads are few.
    /// </summary>
    public static Task Run(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Value.Add((work, done));
        return done.Task;
    }

    private static BlockingCollection<(Action Work, TaskCompletionSource Done)> StartWorkers()
    {
        var queue = new BlockingCollection<(Action, TaskCompletionSource)>();
        for (int i = 0; i < Environment.ProcessorCount; i++)
        {
            BackgroundThread.Start(() => Serve(queue), $"crik yielding {i}");
        }
        return queue;
    }

    private static void Serve(BlockingCollection<(Action Work, TaskCompletionSource Done)> queue)
    {
        BackgroundThread.YieldToTheApp();
        foreach ((Action work, TaskCompletionSource done) in queue.GetConsumingEnumerable())
        {
            try
            {
                work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }
}

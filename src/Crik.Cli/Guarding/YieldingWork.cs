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

    /// <summary>
    /// Starts the threads, from the caller's (not a lowered one): a thread takes the nice value of the thread that creates it.
    /// For that reason the lowered threads complete no task themselves: a task's continuation queued from one of them may make
    /// the thread pool start a worker there, which would serve all of crik at nice 10 for as long as it lives. One thread at
    /// crik's own priority completes them.
    /// </summary>
    private static BlockingCollection<(Action Work, TaskCompletionSource Done)> StartWorkers()
    {
        var queue = new BlockingCollection<(Action, TaskCompletionSource)>();
        var ended = new BlockingCollection<(TaskCompletionSource Done, Exception? Failure)>();
        BackgroundThread.Start(() => Complete(ended), "crik yielding ends");
        for (int i = 0; i < Environment.ProcessorCount; i++)
        {
            BackgroundThread.Start(() => Serve(queue, ended), $"crik yielding {i}");
        }
        return queue;
    }

    private static void Serve(BlockingCollection<(Action Work, TaskCompletionSource Done)> queue, BlockingCollection<(TaskCompletionSource, Exception?)> ended)
    {
        BackgroundThread.YieldToTheApp();
        foreach ((Action work, TaskCompletionSource done) in queue.GetConsumingEnumerable())
        {
            try
            {
                work();
                ended.Add((done, null));
            }
            catch (Exception e)
            {
                ended.Add((done, e));
            }
        }
    }

    private static void Complete(BlockingCollection<(TaskCompletionSource Done, Exception? Failure)> ended)
    {
        foreach ((TaskCompletionSource done, Exception? failure) in ended.GetConsumingEnumerable())
        {
            if (failure is null)
            {
                done.SetResult();
            }
            else
            {
                done.SetException(failure);
            }
        }
    }
}

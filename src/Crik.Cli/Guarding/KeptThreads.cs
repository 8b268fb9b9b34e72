namespace Crik.Cli.Guarding;

/// <summary>
/// Threads kept for work that blocks for its whole length (an image's pipe, read until CRIU closes it), reused from one
/// piece of work to the next: a thread that finishes waits <see cref="_idleFor"/> for more before it ends. Starting a thread
/// costs its stack, its start-up and a wait in <see cref="Thread.Start()"/> until it runs; a checkpoint starts one for each
/// image, and with the app frozen that CPU is taken from CRIU. There is always a thread for each piece of work at once, so
/// work here may wait for other work here. Each thread runs under <see cref="Guard"/>; an exception that escapes the work
/// is fatal, so the work catches its own.
/// </summary>
internal sealed class KeptThreads(string name, TimeSpan idleFor)
{
    private readonly string _name = name;
    private readonly TimeSpan _idleFor = idleFor;
    private readonly List<Worker> _idle = [];
    private int _started;

    /// <summary>Runs <paramref name="work"/> on a kept thread, on a new one when none is free; the task ends when it does.</summary>
    public Task Run(Action work) => Run(() =>
    {
        work();
        return true;
    });

    /// <summary>Runs <paramref name="work"/> on a kept thread, on a new one when none is free; the task ends with its result.</summary>
    public Task<T> Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action item = () =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        };
        Worker? free = null;
        lock (_idle)
        {
            if (_idle.Count > 0)
            {
                free = _idle[^1];
                _idle.RemoveAt(_idle.Count - 1);
            }
        }
        if (free is not null)
        {
            free.Hand(item);
        }
        else
        {
            var worker = new Worker(item);
            BackgroundThread.Start(() => Serve(worker), $"{_name} {Interlocked.Increment(ref _started)}");
        }
        return done.Task;
    }

    /// <summary>How many threads wait for work now.</summary>
    public int Idle
    {
        get
        {
            lock (_idle)
            {
                return _idle.Count;
            }
        }
    }

    private void Serve(Worker worker)
    {
        using Worker owned = worker;
        while (worker.Next() is { } work)
        {
            work();
            worker.Ready();
            lock (_idle)
            {
                _idle.Add(worker);
            }
            if (!worker.WaitForWork(_idleFor))
            {
                lock (_idle)
                {
                    if (_idle.Remove(worker))
                    {
                        return; // nobody handed it work: it ends
                    }
                }
                worker.WaitForWork(Timeout.InfiniteTimeSpan); // taken off the list just now: its work is on the way
            }
        }
    }

    /// <summary>
    /// One kept thread: the work handed to it, and the signal that it was. The signal does not spin before it blocks: a
    /// thread that goes idle while CRIU holds the app would spin on the CPU CRIU waits for.
    /// </summary>
    private sealed class Worker(Action first) : IDisposable
    {
        private readonly ManualResetEventSlim _handed = new(false, spinCount: 0);
        private Action? _work = first;

        /// <summary>Before the worker is listed as idle: at most one piece of work is handed to it each time it is.</summary>
        public void Ready() => _handed.Reset();

        public void Hand(Action work)
        {
            Volatile.Write(ref _work, work);
            _handed.Set();
        }

        public bool WaitForWork(TimeSpan atMost) => _handed.Wait(atMost);

        public Action? Next() => Interlocked.Exchange(ref _work, null);

        public void Dispose() => _handed.Dispose();
    }
}

using Crik.Cli.Chunks;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

// What a checkpoint taken while the memory arrives asks of the fill.
internal sealed partial class MemoryFiller : IArrivingMemory
{
    public void HoldBackground()
    {
        lock (_holding)
        {
            _held = true;
        }
    }

    /// <summary>Lets the background fill go on; a second call (or one with nothing held) does nothing.</summary>
    public void ResumeBackground()
    {
        lock (_holding)
        {
            _held = false;
            Monitor.PulseAll(_holding);
        }
    }

    public IReadOnlyList<UnfilledProcess> Unfilled()
    {
        var processes = new List<UnfilledProcess>();
        foreach (LazyTask task in Tasks())
        {
            UnfilledProcess process;
            lock (task.Lock)
            {
                if (task.Ended || task.File.IsClosed)
                {
                    continue;
                }
                process = new UnfilledProcess(task.Pid, task.StartTime, task.PagesId, task.Forked,
                    [.. task.Areas.Select(a => new UnfilledArea(a.Address, a.Offset, a.Pages, a.DoneNow()))]);
            }
            // Outside the lock: the kernel answers EAGAIN until the events thread has read a fork or mremap under way.
            processes.Add(process.Areas.Count == 0 ? process : process with { Alive = Serves(task, process.Areas[0].Address) });
        }
        return processes;
    }

    public IReadOnlyList<ProcessAtAGlance> Glance()
    {
        var processes = new List<ProcessAtAGlance>();
        foreach (LazyTask task in Tasks())
        {
            lock (task.Lock)
            {
                if (task.Ended || task.File.IsClosed)
                {
                    continue;
                }
                if (task.Forked && task.Areas.Count > 0 && task.File.Serves(task.Areas[0].Address) == false)
                {
                    // A child forked since the restore that has exited (or run another program): otherwise noticed only when a
                    // copy into it fails, and a checkpoint would wait for memory that nobody will read.
                    task.Ended = true;
                    _poll.Wake();
                    continue;
                }
                processes.Add(new ProcessAtAGlance(task.Pid, task.Forked, StartKnown: task.StartTime.Length > 0, MissesPages: task.Areas.Count > 0));
            }
        }
        return processes;
    }

    /// <summary>Whether the task's userfaultfd still serves its process (<see cref="UserfaultFile.Serves"/>), asking again for a while while the app changes its memory.</summary>
    private static bool? Serves(LazyTask task, ulong address)
    {
        for (int attempt = 0; ; attempt++)
        {
            bool? answer;
            try
            {
                answer = task.File.Serves(address);
            }
            catch (ObjectDisposedException)
            {
                return false; // the fill let go of it: the process is gone
            }
            if (answer is not null || attempt == 50)
            {
                return answer;
            }
            Thread.Sleep(2);
        }
    }

    public IReadOnlyList<ChunkRef> Chunks(int pagesId) => _images[pagesId].Chunks;

    public byte[] ReadChunk(int pagesId, int index) => _images[pagesId].ReadChunk(index);

    /// <summary>Waits while a checkpoint holds the background fill, until it resumes it or the fill fails.</summary>
    private void WaitWhileHeld()
    {
        lock (_holding)
        {
            while (_held && _failure is null)
            {
                Monitor.Wait(_holding);
            }
        }
    }

    /// <summary>The fill failed: a held fill wakes to end.</summary>
    private void ReleaseHeld()
    {
        lock (_holding)
        {
            Monitor.PulseAll(_holding);
        }
    }
}

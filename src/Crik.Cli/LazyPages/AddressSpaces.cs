using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The memory crik fills, process by process: as the checkpoint had it (each process's pagemap and mappings, the chunked
/// pages images) and as each restored process has it now (a <see cref="LazyTask"/> each, which the app's forks, mremaps,
/// madvises and munmaps change). It keeps the list of tasks: the fault server, the background fill and a checkpoint taken
/// while the memory arrives (<see cref="Unfilled"/>, <see cref="Glance"/>) all find them here, and each task changes only
/// through its own methods. The list is under this object's lock; a task's areas under the task's own, which may be held
/// while the list's is taken, never the other way round.
/// </summary>
internal sealed class AddressSpaces
{
    private readonly LazyImages _images;
    private readonly Lock _lock = new();
    private readonly List<LazyTask> _tasks = [];

    /// <summary>The fill is over: every task was let go of, and none is taken on any more.</summary>
    private bool _closed;

    /// <param name="images">The laid-out images: each process's pagemap and mappings at dump time, by its PID in the images, and each pages image, by its number.</param>
    public AddressSpaces(LazyImages images) => _images = images;

    /// <summary>pages-<paramref name="pagesId"/>.img, in chunks.</summary>
    public ChunkedImage Image(int pagesId) => _images.Images[pagesId];

    /// <summary>Process <paramref name="pid"/> of the images, restored, whose memory is filled through <paramref name="file"/>; not taken on yet (<see cref="TryAdd"/>).</summary>
    public LazyTask Create(int pid, UserfaultFile file)
    {
        if (!_images.Tasks.TryGetValue(pid, out Pagemap? pagemap))
        {
            throw new InvalidDataException($"the restore handed crik process {pid}'s memory, which the images do not hold");
        }
        return LazyTask.Create(pid, pagemap, _images.Mappings(pid), file);
    }

    /// <summary>Takes a restored process on; false once the fill is over (<see cref="Close"/>), when the caller lets go of it.</summary>
    public bool TryAdd(LazyTask task)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }
            _tasks.Add(task);
            return true;
        }
    }

    /// <summary>Takes on a child forked since the restore (the events thread, which alone ends the fill, read its fork).</summary>
    public void Add(LazyTask forked)
    {
        lock (_lock)
        {
            _tasks.Add(forked);
        }
    }

    public void Remove(LazyTask task)
    {
        lock (_lock)
        {
            _tasks.Remove(task);
        }
    }

    /// <summary>The tasks, as they are now.</summary>
    public List<LazyTask> Tasks()
    {
        lock (_lock)
        {
            return [.. _tasks];
        }
    }

    public bool AnyLeft()
    {
        lock (_lock)
        {
            return _tasks.Count > 0;
        }
    }

    /// <summary>The fill is over: every userfaultfd is let go of (after the app was killed, on a failure), and a process handed over later is not taken on.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (LazyTask task in _tasks)
            {
                task.Dispose();
            }
        }
    }

    /// <summary>Every chunk some process still misses pages of, in the images' order.</summary>
    public List<(int PagesId, int Index)> MissingChunks()
    {
        // Indexes gathered under each process's lock, which its faults wait for, and sorted after: a sorted set of a
        // sliced image's 50,000 pieces held the lock for tens of milliseconds while the restored app waited for a page.
        var chunks = new List<(int PagesId, int Index)>();
        foreach (IGrouping<int, LazyTask> sharing in Tasks().GroupBy(t => t.PagesId).OrderBy(g => g.Key))
        {
            ChunkedImage image = Image(sharing.Key);
            var indexes = new List<int>();
            foreach (LazyTask task in sharing)
            {
                task.AddMissingChunks(image, indexes);
            }
            indexes.Sort();
            chunks.AddRange(indexes.Where((index, i) => i == 0 || indexes[i - 1] != index).Select(index => (sharing.Key, index)));
        }
        return chunks;
    }

    public long MissingPages() => Tasks().Sum(t => t.LeftToFill);

    /// <summary>
    /// The PID of <paramref name="task"/>: known for a process CRIU restored; for a child forked since the restore, once
    /// <see cref="ForkedChild"/> can tell which it is (the task need not be taken on yet). Null when crik cannot tell yet.
    /// </summary>
    public int? RealPid(LazyTask task)
    {
        if (task.RealPid is not null || task.From is not { ParentPid: { } parent })
        {
            return task.RealPid;
        }
        List<LazyTask> tasks = Tasks();
        HashSet<int> claimed = [.. tasks.Select(t => t.RealPid).OfType<int>()];
        int unfound = tasks.Count(t => t != task && t.RealPid is null && t.From?.ParentPid == parent && StillServed(t)) + 1;
        return task.Found(ForkedChild.Find(parent, claimed, unfound));
    }

    /// <summary>Whether a forked child's task may still have a process to fill: one that exited or ran another program does not.</summary>
    private static bool StillServed(LazyTask task) => !task.Ended && task.Areas is [LazyArea first, ..] && Serves(task, first.Address) != false;

    /// <inheritdoc cref="IArrivingMemory.Unfilled"/>
    public IReadOnlyList<UnfilledProcess> Unfilled()
    {
        var processes = new List<UnfilledProcess>();
        foreach (LazyTask task in Tasks())
        {
            if (task.Unfilled() is { } process)
            {
                // Outside the task's lock: the kernel answers EAGAIN until the events thread has read a fork or mremap under way.
                processes.Add(process.Areas.Count == 0 ? process : process with { Alive = Serves(task, process.Areas[0].Address) });
            }
        }
        return processes;
    }

    /// <inheritdoc cref="IArrivingMemory.Glance"/>
    public IReadOnlyList<ProcessAtAGlance> Glance() => [.. Tasks().Select(t => t.Glance()).OfType<ProcessAtAGlance>()];

    /// <summary>Whether the task's userfaultfd still serves its process (<see cref="UserfaultFile.Serves(ulong)"/>), asking again for a while while the app changes its memory.</summary>
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
}

using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

// The events thread: every userfaultfd's faults and changes, and the end.
internal sealed partial class MemoryFiller
{
    /// <summary>Reads every userfaultfd until the fill ends, then ends it (whatever happened); closes each once its process's memory is all in.</summary>
    private void ServeEvents()
    {
        Guard.Run(EventsThread, ServeUntilEnded, FailedUnexpectedly);
        End();
    }

    private void ServeUntilEnded()
    {
        try
        {
            var retries = new List<(LazyTask Task, ulong Page)>();
            while (_failure is null)
            {
                List<LazyTask> tasks = CloseEnded();
                if (_backgroundDone && tasks.Count == 0)
                {
                    break;
                }
                List<int> ready = _poll.Wait(tasks.Select(t => t.File.Number).ToList(), retries.Count > 0 ? 1 : 100);
                foreach (int index in ready)
                {
                    ReadMessages(tasks[index], retries);
                }
                retries = RetryZeroPages(retries);
                WatchStore();
                if (_restored.Task.IsCompleted)
                {
                    FaultSeam.Hit(EventsThread);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            Fail($"the app's memory could not be served: {e.Message}");
        }
    }

    /// <summary>
    /// A read stuck with no answer counts as the store not answering; the outage is told of every
    /// <see cref="StoreOutage.ReminderEvery"/>, and once it has lasted lazyStoreWait the fill gives up
    /// (the reads say so too; this catches a read that never returns).
    /// </summary>
    private void WatchStore()
    {
        _outage.Unanswered(_reads.OldestAttempt, StalledRead);
        _outage.Tick();
        if (_outage.Spent)
        {
            Fail(_outage.GiveUp());
        }
    }

    /// <summary>Lets go of the userfaultfds of processes whose memory is all in (or dropped), or that are gone; returns the others.</summary>
    private List<LazyTask> CloseEnded()
    {
        foreach (LazyTask task in Tasks())
        {
            lock (task.Lock)
            {
                if (!task.Ended && task.Missing > 0)
                {
                    continue;
                }
                ReadMessages(task, []); // a fork not read yet would leave its child's memory unserved
                Interlocked.Increment(ref task.Missing > 0 ? ref _goneEarly : ref _allIn);
                task.Dispose();
            }
            lock (_tasksLock)
            {
                _tasks.Remove(task);
            }
        }
        return Tasks();
    }

    /// <summary>Reads and handles every message waiting on one process's userfaultfd.</summary>
    private void ReadMessages(LazyTask task, List<(LazyTask Task, ulong Page)> retries)
    {
        var faulted = new List<(int PagesId, int Index)>();
        lock (task.Lock)
        {
            while (!task.File.IsClosed && task.File.TryRead() is { } message)
            {
                switch (message.Event)
                {
                    case UserfaultEvent.PageFault:
                        Interlocked.Increment(ref _faults);
                        Fault(task, message.Second & ~(ulong)(ImagePage.Bytes - 1), faulted, retries);
                        break;
                    case UserfaultEvent.Fork:
                        Forked(task, new UserfaultFile(new Microsoft.Win32.SafeHandles.SafeFileHandle(message.Child, ownsHandle: true)));
                        break;
                    case UserfaultEvent.Remap:
                        Remapped(task, message.First, message.Second, message.Third);
                        break;
                    case UserfaultEvent.Remove or UserfaultEvent.Unmap:
                        if (message.Event == UserfaultEvent.Unmap)
                        {
                            task.Unmap(message.First, message.Second);
                        }
                        else
                        {
                            task.Drop(message.First, message.Second);
                        }
                        // A thread that waited on a dropped page would wait for a copy that never comes: it faults again, and gets a zero page.
                        task.File.Wake(message.First, (long)(message.Second - message.First));
                        break;
                    default:
                        throw new IOException($"a userfaultfd reported event 0x{(byte)message.Event:x2}, which crik does not know");
                }
            }
        }
        ReadForFaults(faulted);
    }

    /// <summary>
    /// The process moved [<paramref name="from"/>, +<paramref name="reported"/>) to <paramref name="to"/> with mremap. Where the
    /// kernel reports the length the call asked for (<see cref="RemapLength"/>), crik moves what it knows moved: nothing when
    /// it holds no page there (the kernel's own unmap events already cleared the destination), else the length the thread
    /// still in that mremap shows; the tail cut off keeps its old addresses, where the unmap event that follows drops it.
    /// </summary>
    private void Remapped(LazyTask task, ulong from, ulong to, ulong reported)
    {
        ulong moved = reported;
        if (RemapLength.ActAsAnOlderKernel() && RealPid(task) is { } pid)
        {
            moved = reported = RemapLength.AsAnOlderKernelReports(pid, from, to, reported);
        }
        if (!_remapEventSaysWhatMoved)
        {
            moved = !task.HoldsAny(from, from + reported) ? 0
                : RemapLength.Moved(RealPid(task) ?? throw new IOException($"a child forked since the restore from process {task.Pid} moved its memory with mremap, "
                    + "and crik cannot tell which process it is to see how much moved"), from, to, reported);
        }
        task.Remap(from, to, moved);
        // A thread that waited on a page that moved faults again, where the page is now.
        task.File.Wake(from, (long)reported);
        task.File.Wake(to, (long)reported);
    }

    /// <summary>
    /// A process forked (it waits in fork until this returns): its child is filled through <paramref name="child"/>, with
    /// what the kernel gave it (<see cref="ForkInheritance"/>). While the parent still misses pages, crik reads which of its
    /// areas the child does not have as they are; when it cannot tell which process the parent is, it cannot know, and
    /// the fill fails rather than fill the child with bytes the kernel would not give it.
    /// </summary>
    private void Forked(LazyTask parent, UserfaultFile child)
    {
        try
        {
            int? parentPid = RealPid(parent);
            IReadOnlyList<(ulong Start, ulong End)> notInherited = [];
            if (parent.Missing > 0)
            {
                notInherited = ForkInheritance.NotInherited(parentPid
                    ?? throw new IOException($"a child forked since the restore from process {parent.Pid} forked, and crik cannot tell which process it is"));
            }
            LazyTask forked = parent.Fork(child, notInherited, new ForkedFrom(parentPid, parentPid is { } pid ? ForkInheritance.Children(pid) : new HashSet<int>()));
            lock (_tasksLock)
            {
                _tasks.Add(forked);
            }
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The PID of <paramref name="task"/>: known for a process CRIU restored; for a child forked since the restore, the one
    /// of its parent's children since the fork that no other task is, or, of several, the one forking now (this task's
    /// fork is what asks). Null when crik cannot tell.
    /// </summary>
    private int? RealPid(LazyTask task)
    {
        if (task.RealPid is not null || task.From is not { ParentPid: { } parent } from)
        {
            return task.RealPid;
        }
        HashSet<int> claimed = [.. Tasks().Select(t => t.RealPid).OfType<int>()];
        List<int> candidates = [.. ForkInheritance.Children(parent).Where(c => !from.SiblingsBefore.Contains(c) && !claimed.Contains(c))];
        if (candidates.Count > 1)
        {
            candidates = [.. candidates.Where(ForkInheritance.InFork)];
        }
        return task.RealPid = candidates.Count == 1 ? candidates[0] : null;
    }

    /// <summary>Reads the chunks processes wait for before any read ahead, and fills them in as each arrives.</summary>
    private void ReadForFaults(List<(int PagesId, int Index)> faulted)
    {
        foreach ((int pagesId, int index) in faulted.Distinct())
        {
            _ = _reads.Get(pagesId, index, urgent: true)
                .ContinueWith(read => Guard.Run(CopyWork, () => Arrived(pagesId, index, read), FailedUnexpectedly), TaskScheduler.Default);
        }
    }

    /// <summary>A process waits for the page at <paramref name="page"/>: its chunk is read at once, or it gets a zero page when the image has none there.</summary>
    private void Fault(LazyTask task, ulong page, List<(int PagesId, int Index)> faulted, List<(LazyTask Task, ulong Page)> retries)
    {
        if (task.Find(page) is not { } found || found.Area.IsDone(found.Page))
        {
            // No page was dumped here (the app never touched it), or the app dropped it since: it reads zeros.
            // A page that is in already only needs its waiter woken (a copy can beat the fault's message).
            ZeroOrWake(task, page, retries);
            return;
        }
        _touched.Record(task.Pid, found.Area.DumpedAt + (ulong)(found.Page * ImagePage.Bytes));
        ChunkedImage image = _images[task.PagesId];
        int chunk = image.IndexAt(found.Area.Offset + (found.Page * ImagePage.Bytes));
        faulted.Add((task.PagesId, chunk));
        // An app that faults here mostly reads on from here: the next chunks of this area it still misses are read as urgently.
        for (int next = chunk + 1; next <= chunk + FaultReadAhead && next < image.Count; next++)
        {
            long first = Math.Max(0, (image.StartOf(next) - found.Area.Offset) / ImagePage.Bytes);
            long end = Math.Min(found.Area.Pages, (image.StartOf(next) + image.ChunkSize(next) - found.Area.Offset) / ImagePage.Bytes);
            if (first >= end)
            {
                break;
            }
            if (found.Area.NextMissing(first, end, 1).Count > 0)
            {
                faulted.Add((task.PagesId, next));
            }
        }
    }

    private static void ZeroOrWake(LazyTask task, ulong page, List<(LazyTask Task, ulong Page)> retries)
    {
        switch (task.File.Zero(page, ImagePage.Bytes))
        {
            case FillResult.Exists:
                task.File.Wake(page, ImagePage.Bytes);
                break;
            case FillResult.Retry:
                retries.Add((task, page));
                break;
            case FillResult.Gone:
                task.Ended = true;
                break;
        }
    }

    /// <summary>Zero pages refused while an event was unread, tried again once it is; those still refused wait for the next round.</summary>
    private List<(LazyTask Task, ulong Page)> RetryZeroPages(List<(LazyTask Task, ulong Page)> retries)
    {
        var again = new List<(LazyTask Task, ulong Page)>();
        var faulted = new List<(int PagesId, int Index)>();
        foreach ((LazyTask task, ulong page) in retries)
        {
            lock (task.Lock)
            {
                if (!task.File.IsClosed)
                {
                    Fault(task, page, faulted, again); // an mremap may have moved data there meanwhile
                }
            }
        }
        ReadForFaults(faulted);
        return again;
    }
}

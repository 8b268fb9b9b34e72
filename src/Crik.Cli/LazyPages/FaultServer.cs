using Crik.Cli.Criu;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Timing;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The events thread (<see cref="MemoryFiller.EventsThread"/>): it reads every userfaultfd's messages until the fill ends,
/// then ends it. A fault asks for its chunk before any read ahead (or gets a zero page where the images have none); a
/// fork, mremap, madvise or munmap changes what is left to fill (<see cref="AddressSpaces"/>). It lets go of a process's
/// userfaultfd once its memory is all in, or the process is gone, and watches for a store that stopped answering.
/// </summary>
internal sealed class FaultServer
{
    /// <summary>A read under way this long, with no failure heard of, counts as the store not answering (a volume's read stuck in the kernel).</summary>
    private static readonly TimeSpan StalledRead = TimeSpan.FromSeconds(10);

    /// <summary>The kernel's remap events hold the length that moved (<see cref="RemapLength"/>); crik finds it out where not.</summary>
    private static readonly bool RemapEventSaysWhatMoved = RemapLength.EventSaysWhatMoved(ProcFiles.Text("/proc/sys/kernel/osrelease").Trim())
        && !RemapLength.ActAsAnOlderKernel();

    private readonly FillParts _parts;
    private readonly StoreOutage _outage;
    private readonly FillProgress _progress;
    private readonly BackgroundFill _background;

    /// <param name="outage">The store's state, which reads report to and this thread watches.</param>
    public FaultServer(FillParts parts, StoreOutage outage, FillProgress progress, BackgroundFill background)
    {
        _parts = parts;
        _outage = outage;
        _progress = progress;
        _background = background;
    }

    /// <summary>Reads every userfaultfd until the fill ends (whatever happened); closes each once its process's memory is all in.</summary>
    public void ServeEvents() => Guard.Run(MemoryFiller.EventsThread, ServeUntilEnded, _parts.Failure.FailedUnexpectedly);

    private void ServeUntilEnded()
    {
        try
        {
            var retries = new List<(LazyTask Task, ulong Page)>();
            while (!_parts.Failure.Failed)
            {
                List<LazyTask> tasks = CloseEnded();
                if (_background.Done && tasks.Count == 0)
                {
                    break;
                }
                List<int> ready = _parts.Poll.Wait(tasks.Select(t => t.File.Number).ToList(), retries.Count > 0 ? 1 : 100);
                foreach (int index in ready)
                {
                    ReadMessages(tasks[index], retries);
                }
                retries = RetryZeroPages(retries);
                WatchStore();
                if (_background.Started)
                {
                    FaultSeam.Hit(MemoryFiller.EventsThread);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            _parts.Failure.Fail($"the app's memory could not be served: {e.Message}");
        }
    }

    /// <summary>
    /// A read stuck with no answer counts as the store not answering; the outage is told of every
    /// <see cref="StoreOutage.ReminderEvery"/>, and once it has lasted lazyStoreWait the fill gives up
    /// (the reads say so too; this catches a read that never returns).
    /// </summary>
    private void WatchStore()
    {
        _outage.Unanswered(_parts.Reads.OldestAttempt, StalledRead);
        _outage.Tick();
        if (_outage.Spent)
        {
            _parts.Failure.Fail(_outage.GiveUp());
        }
    }

    /// <summary>Lets go of the userfaultfds of processes whose memory is all in (or dropped), or that are gone; returns the others.</summary>
    private List<LazyTask> CloseEnded()
    {
        foreach (LazyTask task in _parts.Spaces.Tasks())
        {
            lock (task.Lock)
            {
                if (!task.Ended && task.Missing > 0)
                {
                    continue;
                }
                ReadMessages(task, []); // a fork not read yet would leave its child's memory unserved
                _progress.LetGo(goneEarly: task.Missing > 0);
                task.Dispose();
            }
            _parts.Spaces.Remove(task);
        }
        return _parts.Spaces.Tasks();
    }

    /// <summary>Reads and handles every message waiting on one process's userfaultfd.</summary>
    private void ReadMessages(LazyTask task, List<(LazyTask Task, ulong Page)> retries)
    {
        var faulted = new List<(int PagesId, int Index)>();
        lock (task.Lock)
        {
            while (!task.File.IsClosed && task.File.TryRead() is { } message)
            {
                if (message.Event != UserfaultEvent.PageFault)
                {
                    TestDelay.AfterEventRead();
                }
                switch (message.Event)
                {
                    case UserfaultEvent.PageFault:
                        _progress.Faulted();
                        Fault(task, message.Second & ~(ulong)(ImagePage.Bytes - 1), faulted, retries);
                        break;
                    case UserfaultEvent.Fork:
                        Forked(task, new UserfaultFile(new SafeFileHandle(message.Child, ownsHandle: true)));
                        break;
                    case UserfaultEvent.Remap:
                        Remapped(task, message);
                        break;
                    case UserfaultEvent.Remove or UserfaultEvent.Unmap:
                        Unmapped(task, message);
                        break;
                    default:
                        throw new IOException($"a userfaultfd reported event 0x{(byte)message.Event:x2}, which crik does not know");
                }
            }
        }
        ReadForFaults(faulted);
    }

    /// <summary>The app unmapped memory (munmap), or dropped its pages (madvise): none of it is filled any more.</summary>
    private static void Unmapped(LazyTask task, UserfaultMessage message)
    {
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
    }

    /// <summary>
    /// The process moved memory with mremap (from, to, and a length, the event says). Where the
    /// kernel reports the length the call asked for (<see cref="RemapLength"/>), crik moves what it knows moved: nothing when
    /// it holds no page there (the kernel's own unmap events already cleared the destination), else the length the thread
    /// still in that mremap shows; the tail cut off keeps its old addresses, where the unmap event that follows drops it.
    /// </summary>
    private void Remapped(LazyTask task, UserfaultMessage message)
    {
        (ulong from, ulong to, ulong reported) = (message.First, message.Second, message.Third);
        ulong moved = reported;
        if (RemapLength.ActAsAnOlderKernel() && _parts.Spaces.RealPid(task) is { } pid)
        {
            moved = reported = RemapLength.AsAnOlderKernelReports(pid, from, to, reported);
        }
        if (!RemapEventSaysWhatMoved)
        {
            moved = !task.HoldsAny(from, from + reported) ? 0
                : RemapLength.Moved(_parts.Spaces.RealPid(task) ?? throw new IOException($"a child forked since the restore from process {task.Pid} moved its memory with mremap, "
                    + "and crik cannot tell which process it is to see how much moved"), from, to, reported);
        }
        task.Remap(from, to, moved);
        // A thread that waited on a page that moved faults again, where the page is now.
        task.File.Wake(from, (long)reported);
        task.File.Wake(to, (long)reported);
    }

    /// <summary>
    /// A process forked: its child is filled through <paramref name="child"/>, with what the kernel gave it
    /// (<see cref="ForkInheritance"/>), read from the child's own areas where crik finds the child already
    /// (<see cref="ForkedChild"/>), else from the parent's. When the parent still misses pages and crik can read neither, or
    /// the two disagree, it cannot know, and the fill fails rather than fill the child with bytes the kernel would not give it.
    /// </summary>
    private void Forked(LazyTask parent, UserfaultFile child)
    {
        LazyTask? forked = null;
        try
        {
            int? parentPid = _parts.Spaces.RealPid(parent);
            forked = parent.Fork(child, [], new ForkedFrom(parentPid));
            // Found even when nothing is left to fill in it, so that it is never taken for another fork's child.
            bool parentMisses = parent.Missing > 0;
            int? childPid = parentMisses ? ChildPid(forked) : _parts.Spaces.RealPid(forked);
            if (parentMisses)
            {
                if (parentPid is null && childPid is null)
                {
                    throw new IOException($"a child forked since the restore from process {parent.Pid} forked, and crik cannot tell which process it is");
                }
                List<(ulong Start, ulong End)> held = [.. parent.Areas.Select(a => (a.Address, a.End))];
                foreach ((ulong start, ulong end) in ForkInheritance.NotInherited(Smaps(parentPid), Smaps(childPid), held))
                {
                    forked.Unmap(start, end);
                }
            }
            _parts.Spaces.Add(forked);
        }
        catch
        {
            if (forked is null)
            {
                child.Dispose();
            }
            else
            {
                forked.Dispose(); // its userfaultfd, the child's, with it
            }
            throw;
        }
    }

    /// <summary>
    /// The PID of a child just forked. The kernel gives the child its PID only after crik has read the fork's event
    /// (copy_process), a step the parent takes without crik, so crik asks again, for up to a second, until it finds the
    /// child or the child's userfaultfd serves no process (the fork failed after the event, or the child is gone already).
    /// </summary>
    private int? ChildPid(LazyTask forked)
    {
        for (int attempt = 0; ; attempt++)
        {
            if (_parts.Spaces.RealPid(forked) is { } pid)
            {
                return pid;
            }
            if (attempt == 100 || forked.From?.ParentPid is null || forked.Areas is not [LazyArea first, ..] || forked.File.Serves(first.Address) == false)
            {
                return null;
            }
            Thread.Sleep(Math.Min(attempt + 1, 10));
        }
    }

    /// <summary>A process's /proc/PID/smaps; null when crik does not know the process or cannot read it (it is gone).</summary>
    private static string? Smaps(int? pid) => pid is { } known && ProcFiles.Text($"/proc/{known}/smaps") is { Length: > 0 } smaps ? smaps : null;

    /// <summary>Reads the chunks processes wait for before any read ahead, and fills them in as each arrives.</summary>
    private void ReadForFaults(List<(int PagesId, int Index)> faulted)
    {
        foreach ((int pagesId, int index) in faulted.Distinct())
        {
            _ = _parts.Reads.Get(pagesId, index, urgent: true)
                .ContinueWith(read => Guard.Run(MemoryFiller.CopyWork, () => _parts.Placer.Arrived(pagesId, index, read), _parts.Failure.FailedUnexpectedly), TaskScheduler.Default);
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
        _progress.Touched(task.Pid, found.Area.DumpedAt + (ulong)(found.Page * ImagePage.Bytes));
        faulted.AddRange(FaultReads.For(task, _parts.Spaces.Image(task.PagesId), found.Area, found.Page).Select(index => (task.PagesId, index)));
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
                task.End();
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

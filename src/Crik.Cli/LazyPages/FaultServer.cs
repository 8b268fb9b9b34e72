using Crik.Cli.Criu;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The events thread (<see cref="MemoryFiller.EventsThread"/>): it reads every userfaultfd's messages until the fill ends,
/// then ends it. Each process's task reads its own messages under its lock (<see cref="LazyTask.ReadEvents"/>), handles an
/// unmap or a dropped range itself, and hands this thread the rest: a fault asks for its chunk before any read ahead (or
/// gets a zero page where the images have none); a fork or an mremap changes what is left to fill. It lets go of a
/// process's userfaultfd once its memory is all in, or the process is gone, and watches for a store that stopped answering.
/// </summary>
internal sealed class FaultServer : IUserfaultEvents
{
    private const string CouldNotServe = "the app's memory could not be served: ";

    /// <summary>Where the tests make the handling of a fork's event fail (CRIK_FAULT), once the child is known.</summary>
    public const string ForkEventPoint = "crik fork event";

    /// <summary>A read under way this long, with no failure heard of, counts as the store not answering (a volume's read stuck in the kernel).</summary>
    private static readonly TimeSpan StalledRead = TimeSpan.FromSeconds(10);

    /// <summary>The kernel's remap events hold the length that moved (<see cref="RemapLength"/>); crik finds it out where not.</summary>
    private static readonly bool RemapEventSaysWhatMoved = RemapLength.EventSaysWhatMoved(ProcFiles.Text(KernelRelease.ReleaseFile).Trim())
        && !RemapLength.ActAsAnOlderKernel();

    private readonly FillParts _parts;
    private readonly StoreOutage _outage;
    private readonly FillProgress _progress;
    private readonly BackgroundFill _background;

    /// <summary>The pieces the faults of the messages read so far wait for, read once the task's lock is let go of (<see cref="ReadForFaults"/>).</summary>
    private readonly List<(int PagesId, int Index)> _faulted = [];

    /// <summary>Zero pages refused while an event was unread, tried again on the next round (<see cref="RetryZeroPages"/>).</summary>
    private List<(LazyTask Task, ulong Page)> _zeroRetries = [];

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
            while (!_parts.Failure.Failed)
            {
                List<LazyTask> tasks = CloseEnded();
                if (_background.Done && tasks.Count == 0)
                {
                    break;
                }
                List<int> ready = _parts.Poll.Wait(tasks.Select(t => t.File.Number).ToList(), _zeroRetries.Count > 0 ? 1 : 100);
                foreach (int index in ready)
                {
                    ReadMessages(tasks[index]);
                }
                RetryZeroPages();
                WatchStore();
                if (_background.Started)
                {
                    FaultSeam.Hit(MemoryFiller.EventsThread);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            _parts.Failure.Fail(CouldNotServe + e.Message);
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

    /// <summary>
    /// Lets go of the userfaultfds of processes whose memory is all in (or dropped), or that are gone; returns the others. While a
    /// checkpoint holds the fill, a process whose memory came all in stays: the dump may have looked at it before its last pages
    /// came, and the checkpoint takes those from the checkpoint restored only for a process it still finds here.
    /// </summary>
    private List<LazyTask> CloseEnded()
    {
        bool held = _background.Held;
        foreach (LazyTask task in _parts.Spaces.Tasks())
        {
            if (task.LetGoOnceEnded(this, keepFilled: held) is not { } goneEarly)
            {
                continue;
            }
            ReadForFaults();
            _progress.LetGo(goneEarly);
            _parts.Spaces.Remove(task);
        }
        return _parts.Spaces.Tasks();
    }

    /// <summary>Reads and handles every message waiting on one process's userfaultfd.</summary>
    private void ReadMessages(LazyTask task)
    {
        task.ReadEvents(this);
        ReadForFaults();
    }

    public void Faulted(LazyTask task, ulong page)
    {
        _progress.Faulted();
        Fault(task, page);
    }

    public void FaultedAgain(LazyTask task, ulong page) => Fault(task, page);

    /// <summary>
    /// The process moved memory with mremap (from, to, and a length, the event says). Where the
    /// kernel reports the length the call asked for (<see cref="RemapLength"/>), crik moves what it knows moved: nothing when
    /// it holds no page there (the kernel's own unmap events already cleared the destination), else the length the thread
    /// still in that mremap shows; the tail cut off keeps its old addresses, where the unmap event that follows drops it.
    /// </summary>
    public void Remapped(LazyTask task, ulong from, ulong to, ulong reported)
    {
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
    public void Forked(LazyTask parent, UserfaultFile child)
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
            FaultSeam.FailIo(ForkEventPoint);
            _parts.Spaces.Add(forked);
        }
        catch (Exception e)
        {
            // The child runs once the event is read: the app is killed before its userfaultfd is let go, or it would read zeros.
            FailBeforeLettingGo(e);
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

    private void FailBeforeLettingGo(Exception e)
    {
        if (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            _parts.Failure.Fail(CouldNotServe + e.Message);
        }
        else
        {
            _parts.Failure.FailedUnexpectedly(MemoryFiller.EventsThread, e);
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
    private void ReadForFaults()
    {
        foreach ((int pagesId, int index) in _faulted.Distinct())
        {
            _ = _parts.Reads.Get(pagesId, index, urgent: true)
                .ContinueWith(read => Guard.Run(MemoryFiller.CopyWork, () => _parts.Placer.Arrived(pagesId, index, read), _parts.Failure.FailedUnexpectedly), TaskScheduler.Default);
        }
        _faulted.Clear();
    }

    /// <summary>A process waits for the page at <paramref name="page"/>: its chunk is read at once, or it gets a zero page when the image has none there.</summary>
    private void Fault(LazyTask task, ulong page)
    {
        if (task.Find(page) is not { } found || found.Area.IsDone(found.Page))
        {
            // No page was dumped here (the app never touched it), or the app dropped it since: it reads zeros.
            // A page that is in already only needs its waiter woken (a copy can beat the fault's message).
            ZeroOrWake(task, page);
            return;
        }
        _progress.Touched(task.Pid, found.Area.DumpedAt + (ulong)(found.Page * ImagePage.Bytes));
        _faulted.AddRange(FaultReads.For(task, _parts.Spaces.Image(task.PagesId), found.Area, found.Page).Select(index => (task.PagesId, index)));
    }

    private void ZeroOrWake(LazyTask task, ulong page)
    {
        switch (task.File.Zero(page, ImagePage.Bytes))
        {
            case FillResult.Exists:
                task.File.Wake(page, ImagePage.Bytes);
                break;
            case FillResult.Retry:
                _zeroRetries.Add((task, page));
                break;
            case FillResult.Gone:
                task.End();
                break;
        }
    }

    /// <summary>Zero pages refused while an event was unread, tried again once it is; those still refused wait for the next round.</summary>
    private void RetryZeroPages()
    {
        List<(LazyTask Task, ulong Page)> retries = _zeroRetries;
        _zeroRetries = [];
        foreach ((LazyTask task, ulong page) in retries)
        {
            task.RetryFault(this, page); // an mremap may have moved data there meanwhile
        }
        ReadForFaults();
    }
}

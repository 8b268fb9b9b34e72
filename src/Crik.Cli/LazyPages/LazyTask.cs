using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Timing;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.LazyPages;

/// <summary>
/// One restored process whose memory crik fills: its userfaultfd and the areas still to fill, as the
/// app changes its memory (a fork gives a child task of its own, an mremap moves areas, a
/// madvise(MADV_DONTNEED) or munmap drops pages). It changes only through its own methods, each under
/// its lock; a fill's copy (<see cref="Fill"/>) holds it from its look at the areas to the end of the
/// copy, and the events thread (<see cref="ReadEvents"/>) from an event's read to the end of its handling,
/// so that no event read in between can be missed. What reads the areas (<see cref="Areas"/>,
/// <see cref="Find"/>, <see cref="HoldingBytes"/> and the like) does so within one of those.
/// </summary>
internal sealed class LazyTask : IDisposable
{
    private readonly Lock _lock = new();
    private readonly LazyAreas _areas;
    private readonly GuardLook _guards = new();

    private LazyTask(int pid, int pagesId, UserfaultFile file, List<LazyArea> areas, ForkedFrom? forkedFrom)
    {
        Pid = pid;
        PagesId = pagesId;
        File = file;
        _areas = new LazyAreas(areas);
        From = forkedFrom;
        RealPid = forkedFrom is null ? pid : null;
        StartTime = forkedFrom is null ? ProcessStart.Of(pid) : "";
    }

    /// <summary>The process's PID in the images (a child forked since the restore has its parent's).</summary>
    public int Pid { get; }

    /// <summary>N of the pages-N.img the bytes come from.</summary>
    public int PagesId { get; }

    public UserfaultFile File { get; }

    /// <summary>A child forked since the restore: <see cref="Pid"/> is its parent's.</summary>
    public bool Forked => From is not null;

    /// <summary>Where a child forked since the restore came from; null for a process CRIU restored.</summary>
    public ForkedFrom? From { get; }

    /// <summary>The process's own PID: <see cref="Pid"/> for one CRIU restored; for a forked child, once crik has found it (<see cref="ForkedFrom"/>).</summary>
    public int? RealPid { get; private set; }

    /// <summary>When the process started (<see cref="ProcessStart"/>), read as crik took its memory on; "" for a forked child.</summary>
    public string StartTime { get; }

    private FillEnd _end;

    private enum FillEnd
    {
        Going,

        /// <summary>Every page is in (or dropped).</summary>
        AllIn,

        /// <summary>The process is gone (it exited, or runs another program): the memory crik filled is nobody's.</summary>
        Gone,
    }

    /// <summary>Every page is in (or dropped), or the process is gone: nothing more is filled.</summary>
    public bool Ended => _end != FillEnd.Going;

    private bool Gone => _end == FillEnd.Gone;

    /// <summary>Nothing more is filled: the process is gone.</summary>
    public void End()
    {
        lock (_lock)
        {
            _end = FillEnd.Gone;
        }
    }

    /// <summary>A forked child's own PID, found (<see cref="ForkedChild"/>); null while it is not. Returns it.</summary>
    public int? Found(int? realPid) => RealPid = realPid;

    public IReadOnlyList<LazyArea> Areas => _areas.InAddressOrder;

    public long Missing => _areas.Missing;

    /// <summary>The pages still to fill: none once it has ended.</summary>
    public long LeftToFill
    {
        get
        {
            lock (_lock)
            {
                return Ended ? 0 : Missing;
            }
        }
    }

    /// <summary>Marks pages of <paramref name="area"/> done (<see cref="LazyArea.MarkDone"/>), and counts them.</summary>
    public void MarkDone(LazyArea area, long first, long count)
    {
        lock (_lock)
        {
            _areas.MarkDone(area, first, count);
        }
    }

    /// <summary>Adds the index in <paramref name="image"/> of every piece it still misses pages of (none once it has ended); unsorted, maybe twice.</summary>
    public void AddMissingChunks(ChunkedImage image, List<int> indexes)
    {
        lock (_lock)
        {
            if (!Ended)
            {
                _areas.AddMissingChunks(image, indexes);
            }
        }
    }

    /// <summary>
    /// What is left to fill in it, for a checkpoint taken while the memory arrives: every page done once all came in; null once the
    /// process is gone or its userfaultfd is let go of.
    /// </summary>
    public UnfilledProcess? Unfilled()
    {
        lock (_lock)
        {
            return Gone || File.IsClosed ? null
                : new UnfilledProcess(Pid, StartTime, PagesId, Forked, [.. Areas.Select(a => new UnfilledArea(a.Address, a.Offset, a.Pages, a.DoneNow()))]);
        }
    }

    /// <summary>
    /// The process at a glance, for a checkpoint taken while the memory arrives; null once it has ended or its userfaultfd
    /// is let go of. A child forked since the restore that has exited (or run another program) ends here: otherwise noticed
    /// only when a copy into it fails, and a checkpoint would wait for memory that nobody will read.
    /// </summary>
    public ProcessAtAGlance? Glance()
    {
        lock (_lock)
        {
            if (Ended || File.IsClosed)
            {
                return null;
            }
            if (Forked && Areas.Count > 0 && File.Serves(Areas[0].Address) == false)
            {
                _end = FillEnd.Gone; // the events thread lets it go
                return null;
            }
            return new ProcessAtAGlance(Pid, Forked, StartKnown: StartTime.Length > 0, MissesPages: Areas.Count > 0);
        }
    }

    /// <summary>The lazy runs of <paramref name="pagemap"/>, split where a mapping ends (a copy must not cross one).</summary>
    public static LazyTask Create(int pid, Pagemap pagemap, IReadOnlyList<MemoryArea> mappings, UserfaultFile file) =>
        new(pid, pagemap.PagesId, file, LazyAreas.Of(pid, pagemap, mappings), forkedFrom: null);

    /// <summary>The area and page at <paramref name="address"/>; null when no lazy page was dumped there (a page the app never touched).</summary>
    public (LazyArea Area, long Page)? Find(ulong address) => _areas.Find(address);

    /// <summary>The areas whose bytes lie in [<paramref name="start"/>, <paramref name="end"/>) of the pages image, in its order.</summary>
    public IEnumerable<LazyArea> HoldingBytes(long start, long end) => _areas.HoldingBytes(start, end);

    /// <summary>Whether the process still misses a page whose bytes lie in [<paramref name="start"/>, <paramref name="end"/>) of the pages image.</summary>
    public bool MissesAnyBytes(long start, long end) => _areas.HoldingBytes(start, end).Any(area =>
        area.Missing > 0 && area.NextMissing(Math.Max(0, (start - area.Offset) / ImagePage.Bytes),
            Math.Min(area.Pages, (end - area.Offset + ImagePage.Bytes - 1) / ImagePage.Bytes), 1).Count > 0);

    /// <summary>
    /// The child the app forked: the same areas, with what is done so far (the child has what its parent had), through the
    /// child's userfaultfd; but none in <paramref name="notInherited"/> (<see cref="ForkInheritance"/>): the child has no
    /// such area (MADV_DONTFORK), or has it without its pages (MADV_WIPEONFORK), and crik fills neither.
    /// </summary>
    public LazyTask Fork(UserfaultFile child, IReadOnlyList<(ulong Start, ulong End)> notInherited, ForkedFrom from)
    {
        LazyTask forked;
        lock (_lock)
        {
            forked = new LazyTask(Pid, PagesId, child, [.. _areas.InAddressOrder.Select(a => a.Clone())], from);
        }
        foreach ((ulong start, ulong end) in notInherited)
        {
            forked.Unmap(start, end);
        }
        return forked;
    }

    /// <summary>mremap moved [<paramref name="from"/>, +<paramref name="length"/>) to <paramref name="to"/>, over whatever was there.</summary>
    public void Remap(ulong from, ulong to, ulong length)
    {
        lock (_lock)
        {
            _areas.Remap(from, to, length);
        }
    }

    /// <summary>Whether any of the image's pages (filled or not) lie in [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public bool HoldsAny(ulong start, ulong end) => _areas.HoldsAny(start, end);

    /// <summary>The app unmapped [<paramref name="start"/>, <paramref name="end"/>): nothing of the image belongs there any more (a later mapping there is not the app's old memory).</summary>
    public void Unmap(ulong start, ulong end)
    {
        lock (_lock)
        {
            _areas.Unmap(start, end);
        }
    }

    /// <summary>
    /// The app dropped [<paramref name="start"/>, <paramref name="end"/>) (madvise MADV_DONTNEED): those pages read as zeros
    /// from now on, never filled from the image. They leave their areas, so that what is left is only ever what the image holds.
    /// </summary>
    public void Drop(ulong start, ulong end)
    {
        ulong page = (ulong)ImagePage.Bytes;
        Unmap(start & ~(page - 1), (end + page - 1) & ~(page - 1));
    }

    /// <summary>The app unmapped memory (munmap), or dropped its pages (madvise): none of it is filled any more.</summary>
    private void Unmapped(UserfaultMessage message)
    {
        if (message.Event == UserfaultEvent.Unmap)
        {
            Unmap(message.First, message.Second);
        }
        else
        {
            Drop(message.First, message.Second);
        }
        // A thread that waited on a dropped page would wait for a copy that never comes: it faults again, and gets a zero page.
        File.Wake(message.First, (long)(message.Second - message.First));
    }

    /// <summary>
    /// Takes the guard pages the app installed in [<paramref name="start"/>, <paramref name="end"/>) out of what is left to
    /// fill: the app installs them without an event, and a copy there would remove the guard. Right before a copy, within
    /// <see cref="Fill"/>; a process whose PID crik does not know (a child forked since the restore, not found yet), or a
    /// kernel that cannot tell, is copied into as before.
    /// </summary>
    public void SkipGuards(ulong start, ulong end)
    {
        if (RealPid is not { } pid)
        {
            return;
        }
        lock (_lock)
        {
            foreach ((ulong guardStart, ulong guardEnd) in _guards.In(pid, start, end))
            {
                _areas.Unmap(guardStart, guardEnd);
            }
        }
    }

    /// <summary>
    /// Reads and handles every message waiting on its userfaultfd, under the lock: an unmap or a dropped range here, a fault,
    /// a fork or an mremap through <paramref name="events"/>.
    /// </summary>
    public void ReadEvents(IUserfaultEvents events)
    {
        lock (_lock)
        {
            while (!File.IsClosed && File.TryRead() is { } message)
            {
                if (message.Event != UserfaultEvent.PageFault)
                {
                    TestDelay.AfterEventRead();
                }
                switch (message.Event)
                {
                    case UserfaultEvent.PageFault:
                        events.Faulted(this, message.Second & ~(ulong)(ImagePage.Bytes - 1));
                        break;
                    case UserfaultEvent.Fork:
                        events.Forked(this, new UserfaultFile(new SafeFileHandle(message.Child, ownsHandle: true)));
                        break;
                    case UserfaultEvent.Remap:
                        events.Remapped(this, message.First, message.Second, message.Third);
                        break;
                    case UserfaultEvent.Remove or UserfaultEvent.Unmap:
                        Unmapped(message);
                        break;
                    default:
                        throw new IOException($"a userfaultfd reported event 0x{(byte)message.Event:x2}, which crik does not know");
                }
            }
        }
    }

    /// <summary>
    /// A fault that got no zero page while an event was unread, served again now that it is read (an mremap may have moved
    /// data there meanwhile), under the lock; nothing once its userfaultfd is let go of.
    /// </summary>
    public void RetryFault(IUserfaultEvents events, ulong page)
    {
        lock (_lock)
        {
            if (!File.IsClosed)
            {
                events.FaultedAgain(this, page);
            }
        }
    }

    /// <summary>
    /// Lets go of its userfaultfd once nothing more is filled (every page is in or dropped, or the process is gone), after
    /// reading what still waits on it (a fork not read yet would leave its child's memory unserved). Null while it is still
    /// filled, or kept (<paramref name="keepFilled"/>, while a checkpoint holds the fill) with its memory all in and its process
    /// there; else whether pages were still missing (the process went before its memory was all in).
    /// </summary>
    public bool? LetGoOnceEnded(IUserfaultEvents events, bool keepFilled)
    {
        lock (_lock)
        {
            if ((!Ended && Missing > 0) || (keepFilled && !Gone && Missing == 0))
            {
                return null;
            }
            ReadEvents(events);
            bool goneEarly = Missing > 0;
            Dispose();
            return goneEarly;
        }
    }

    /// <summary>
    /// Copies the pages it misses of a chunk that arrived (its <paramref name="length"/> bytes from <paramref name="start"/> in
    /// the pages image), one copy per run (<see cref="PageCopier.CopyMissing"/>), holding the lock from its look at the areas
    /// to the end of the copy; it ends once every page is in or the process is gone. Null when it had ended already, or its
    /// userfaultfd was let go of: nothing was copied. Else what the copy came to, and whether the task ended with it.
    /// </summary>
    public (FillResult Result, bool EndedNow)? Fill(PageCopier copier, byte[] bytes, long start, int length)
    {
        lock (_lock)
        {
            if (Ended || File.IsClosed)
            {
                return null;
            }
            FillResult result = copier.CopyMissing(this, bytes, start, length);
            bool endedNow = result == FillResult.Gone || Missing == 0;
            _end = result == FillResult.Gone ? FillEnd.Gone : endedNow ? FillEnd.AllIn : FillEnd.Going;
            return (result, endedNow);
        }
    }

    public void Dispose()
    {
        File.Dispose();
        _guards.Dispose();
    }
}

/// <summary>Where a child forked since the restore came from: its parent's PID (null when crik does not know it).</summary>
internal sealed record ForkedFrom(int? ParentPid);

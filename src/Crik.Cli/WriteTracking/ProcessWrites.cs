using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.WriteTracking;

/// <summary>
/// Which pages one process of the app wrote since crik last armed its tracking, without the kernel's soft-dirty bits (which
/// arm64 and hardened kernels lack): a userfaultfd made in the process in asynchronous write-protect mode, and PAGEMAP_SCAN
/// (Linux 6.7). What crik cannot vouch for counts as written: an area not registered when armed (new since, or moved by
/// mremap, which drops the registration), a page the kernel reports as not write-protectable, and all shared memory (another
/// process may write it through its own mapping). A forked child has none of its parent's registrations: it needs its own.
/// Arm it only while the process cannot run (frozen for a checkpoint, or not yet resumed after a restore), or a write
/// between the state it is compared with and the arming is missed.
/// </summary>
internal sealed class ProcessWrites : IDisposable
{
    private readonly SafeFileHandle _userfaultfd, _pagemap;
    private readonly int _numberInApp;
    private readonly CodeArea? _vdso;

    private ProcessWrites(int pid, SafeFileHandle userfaultfd, int numberInApp, CodeArea? vdso, SafeFileHandle pagemap)
    {
        Pid = pid;
        (_userfaultfd, _numberInApp, _vdso, _pagemap) = (userfaultfd, numberInApp, vdso, pagemap);
    }

    public int Pid { get; }

    /// <summary>Tracking for process <paramref name="pid"/>, not yet armed; throws IOException when this kernel or process does not allow it.</summary>
    public static ProcessWrites Start(int pid, TimeSpan wait) => Start(pid, wait, MemoryMaps.Read(pid));

    /// <summary>
    /// Tracking for process <paramref name="pid"/>, armed (<see cref="Arm"/>) with the areas read to start it: for a process that
    /// cannot run meanwhile, whose areas stay as they are. Throws IOException as <see cref="Start(int, TimeSpan)"/> does.
    /// </summary>
    public static ProcessWrites StartArmed(int pid, TimeSpan wait)
    {
        List<MapsArea> all = MemoryMaps.Read(pid);
        ProcessWrites writes = Start(pid, wait, all);
        try
        {
            writes.ArmAreas(Areas(all), afresh: true);
            return writes;
        }
        catch
        {
            writes.Dispose();
            throw;
        }
    }

    private static ProcessWrites Start(int pid, TimeSpan wait, List<MapsArea> areas)
    {
        RefuseAsyncIo(pid, areas);
        CodeArea? vdso = Vdso(areas);
        (SafeFileHandle userfaultfd, int numberInApp) = TrackingUserfaultfd.Take(pid, wait, vdso);
        try
        {
            return new ProcessWrites(pid, userfaultfd, numberInApp, vdso, File.OpenHandle($"/proc/{pid}/pagemap"));
        }
        catch
        {
            userfaultfd.Dispose();
            throw;
        }
    }

    /// <summary>Registers every area the process has now and write-protects every page of them: from here on, a write is seen.</summary>
    public void Arm() => ArmAreas(Areas(MemoryMaps.Read(Pid)));

    /// <param name="afresh">Nothing is taken from before this arming: any protection left on the pages is lifted first (<see cref="RegisterAfresh"/>).</param>
    private void ArmAreas(List<MapsArea> areas, bool afresh = false)
    {
        if (afresh)
        {
            RegisterAfresh(areas);
        }
        else
        {
            Register(areas);
        }
        if (Span(areas) is { } span)
        {
            _ = PageWrites.WrittenAndProtectAgain(_pagemap, span.Start, span.End);
        }
    }

    /// <summary>
    /// The pages written since the last <see cref="Arm"/> or call of this, with those crik cannot vouch for, merged; and,
    /// unless <paramref name="armAgain"/> is false, armed again, areas new since included, so that the next call reports what
    /// is written from now. Not armed again, what it reports stays written and is reported again: the next call over-counts,
    /// never misses a write, and a checkpoint after which the app does not run on is spared the protection (tens of ms).
    /// </summary>
    /// <param name="areasNow">The process's areas, read while it is stopped; read here when not given.</param>
    public List<AddressRange> TakeWritten(bool armAgain = true, List<MapsArea>? areasNow = null)
    {
        // Read once: the process cannot run while crik takes what it wrote, so its areas stay as they are.
        List<MapsArea> areas = TrackableAreas(areasNow);
        if (Span(areas) is not { } span)
        {
            return [];
        }
        IEnumerable<AddressRange> written = (armAgain ? PageWrites.WrittenAndProtectAgain(_pagemap, span.Start, span.End)
            : PageWrites.Written(_pagemap, span.Start, span.End)).Select(r => new AddressRange(r.Start, r.End));
        List<AddressRange> found = AddressRange.Merge(CannotVouchFor(areas, span).Concat(written));
        if (armAgain)
        {
            ArmAreas(areas); // the areas new since the last arming are tracked from now
        }
        return found;
    }

    /// <summary>
    /// At a checkpoint whose copy scanned this process while it ran (<see cref="TakeWrittenWhileRunning"/>), with the process
    /// stopped: only what crik cannot vouch for (areas not registered, shared ones), without a walk of its memory. The pages
    /// written since that scan are not read here: they stay written, so the dump reads them, and the next copy's scan reports
    /// and protects them again. Every page still protected was protected by that scan or before it, and has not been written
    /// since, so the checkpoint holds it as it is.
    /// </summary>
    /// <param name="areasNow">The process's areas, read while it is stopped.</param>
    public List<AddressRange> TakeLeftToTheNextCopy(List<MapsArea> areasNow)
    {
        List<MapsArea> areas = TrackableAreas(areasNow);
        return Span(areas) is { } span ? AddressRange.Merge(CannotVouchFor(areas, span)) : [];
    }

    /// <summary>
    /// The process's areas now, once crik has made sure it can still vouch for its writes: it ran no other program, and it made
    /// no asynchronous I/O since the arming (what it wrote through its pins is unknown). Throws IOException otherwise.
    /// </summary>
    private List<MapsArea> TrackableAreas(List<MapsArea>? areasNow = null)
    {
        RefuseExec();
        List<MapsArea> all = areasNow ?? MemoryMaps.Read(Pid);
        RefuseAsyncIo(Pid, all);
        return Areas(all);
    }

    /// <summary>
    /// The pages crik cannot vouch for: those of areas not registered, and all shared memory. Of a private file mapping, which
    /// crik never registers (<see cref="Register"/>), only the pages that are the process's own (written once, so no longer
    /// the file's): those CRIU reads.
    /// </summary>
    private List<AddressRange> CannotVouchFor(List<MapsArea> areas, AddressRange span)
    {
        List<AddressRange> fileAreas = [.. areas.Where(a => a.Private && !Trackable(a)).Select(a => new AddressRange(a.Start, a.End))];
        List<AddressRange> untracked = [.. PageWrites.Untracked(_pagemap, span.Start, span.End).Select(r => new AddressRange(r.Start, r.End))];
        return [.. AddressRange.Without(untracked, fileAreas),
            .. fileAreas.SelectMany(a => PageWrites.OwnPages(_pagemap, a.Start, a.End, registeredOnly: false)).Select(r => new AddressRange(r.Start, r.End)),
            .. SharedRanges(areas)];
    }

    /// <summary>
    /// While the process runs on: the pages of its private areas written since they were last protected, each protected
    /// again by the same scan, so that a write after it shows at the next. The areas new since the last arming are
    /// registered first: their pages are reported here, and tracked from now. Shared areas are left out (every take counts
    /// them as written).
    /// </summary>
    public List<AddressRange> TakeWrittenWhileRunning()
    {
        List<MapsArea> areas = TrackableAreas();
        if (Span(areas) is not { } span)
        {
            return [];
        }
        Register(areas); // while the app runs, one that changed since the read is refused too
        List<AddressRange> written = [.. PageWrites.WrittenAndProtectAgain(_pagemap, span.Start, span.End).Select(r => new AddressRange(r.Start, r.End))];
        return AddressRange.Without(written, SharedRanges(areas));
    }

    /// <summary>
    /// While the process runs on, for a copy of all of its memory (there is no committed checkpoint for what it did not write to
    /// come from): every page of its private areas that holds its own data, written or not (<see cref="PageWrites.OwnPages"/>),
    /// each protected first, so that a write after the scan shows at the next. A page copied after its protection holds what it
    /// held at the scan unless it is written since, and then the dump reads it. Areas new since the arming are registered first.
    /// </summary>
    public List<AddressRange> TakeAllWhileRunning()
    {
        List<MapsArea> areas = TrackableAreas();
        if (Span(areas) is not { } span)
        {
            return [];
        }
        ArmAreas(areas, afresh: true);
        List<AddressRange> held = [.. PageWrites.OwnPages(_pagemap, span.Start, span.End, registeredOnly: true).Select(r => new AddressRange(r.Start, r.End))];
        return AddressRange.Without(held, SharedRanges(areas));
    }

    /// <summary>
    /// Lifts the protection of <paramref name="range"/>, pages crik could not copy, so that the dump reads them as written; a
    /// page of it no longer tracked (unmapped, or in an area crik never registered) is read by the dump, or is not there.
    /// Throws IOException when the kernel refuses for another reason.
    /// </summary>
    public void Unprotect(AddressRange range)
    {
        ulong page = (ulong)Environment.SystemPageSize;
        switch (PageWrites.Unprotect(_userfaultfd, range.Start, range.End))
        {
            case null or Errno.ESRCH:
                return;
            case Errno.ENOENT when range.Bytes > page:
                // The kernel stops at the first area not registered: page by page, each page's own area answers for it.
                for (ulong at = range.Start; at < range.End; at += page)
                {
                    Unprotect(new AddressRange(at, at + page));
                }
                return;
            case Errno.ENOENT:
                return;
            case Errno other:
                throw new IOException($"the write protection of process {Pid}'s pages at 0x{range.Start:x} could not be lifted: {other.Message()}");
        }
    }

    /// <summary>
    /// Closes the copies of crik's userfaultfd that other processes of the tree rooted at <paramref name="root"/> got by forking
    /// while this process held it (<see cref="InheritedUserfaultfd"/>); throws IOException when one cannot be closed.
    /// </summary>
    /// <param name="tree">The processes of that tree, just read.</param>
    public void CloseCopiesIn(int root, IReadOnlyList<int> tree, TimeSpan wait) =>
        InheritedUserfaultfd.CloseCopies(Pid, root, _userfaultfd, _numberInApp, wait, _vdso, tree);

    public void Dispose()
    {
        _pagemap.Dispose();
        _userfaultfd.Dispose();
    }

    /// <summary>
    /// Registers the process's private anonymous areas. A private file mapping is left untracked (its pages count as
    /// written): the kernel keeps a dropped page's protection there as a marker, and the page a write fault makes of the file
    /// holds the protection until the write is retried, so a process stopped in between would show a page as unwritten that
    /// holds neither what crik copied nor what the checkpoint before holds.
    /// A page of an area registered here for the first time may carry a protection mark it was given in an area it has left:
    /// before Linux 6.16 ("mm: clear uffd-wp PTE/PMD state on mremap()"), a page mremap moves keeps its mark, and a write
    /// through the new, unwatched area makes it writable with the mark still on, so it would read as protected and unwritten
    /// for good. Those pages were counted as written while their area was not registered; their marks are lifted here, so
    /// that the next scan protects them afresh.
    /// Only what the scan found unregistered is registered: the app runs on, and an area it replaces after the scan by one
    /// mremap moved there (whose pages may carry such marks, and which no userfaultfd watches) must not be registered with
    /// its marks kept. Left unregistered, it is counted as written until the next take registers it and lifts them.
    /// </summary>
    private void Register(List<MapsArea> areas)
    {
        List<MapsArea> trackable = [.. areas.Where(Trackable)];
        if (Span(trackable) is not { } span)
        {
            return;
        }
        List<AddressRange> unregistered = [.. PageWrites.Untracked(_pagemap, span.Start, span.End).Select(r => new AddressRange(r.Start, r.End))];
        List<AddressRange> pieces = [.. trackable.SelectMany(area => unregistered
            .Where(r => r.Start < area.End && r.End > area.Start)
            .Select(r => new AddressRange(Math.Max(r.Start, area.Start), Math.Min(r.End, area.End))))];
        foreach (AddressRange piece in pieces)
        {
            // An area the kernel will not register stays untracked, and every later scan counts its pages as written.
            _ = PageWrites.Register(_userfaultfd, piece.Start, piece.End);
        }
        foreach (AddressRange piece in pieces)
        {
            LiftMarks(piece.Start, piece.End);
        }
    }

    /// <summary>
    /// Registers <paramref name="areas"/> and lifts any protection their pages still carry, for an arming that takes nothing
    /// from before it: a page protected once (through an area since moved, or merged into one no longer registered) keeps its
    /// mark while it is written through an area no userfaultfd watches, and would be taken as protected and unwritten.
    /// </summary>
    private void RegisterAfresh(List<MapsArea> areas)
    {
        List<MapsArea> trackable = [.. areas.Where(Trackable)];
        RegisterEach(trackable); // every mark is lifted below: no look for the stale ones first
        foreach (MapsArea area in trackable)
        {
            LiftMarks(area.Start, area.End);
        }
    }

    private void RegisterEach(List<MapsArea> trackable)
    {
        foreach (MapsArea area in trackable)
        {
            // An area the kernel will not register stays untracked, and every later scan counts its pages as written.
            _ = PageWrites.Register(_userfaultfd, area.Start, area.End);
        }
    }

    /// <summary>Lifts the protection of one area's pages; an area that is not registered (the kernel refused it, or it changed since it was read) or is gone is left as it is.</summary>
    private void LiftMarks(ulong start, ulong end)
    {
        if (PageWrites.Unprotect(_userfaultfd, start, end) is { } error and not (Errno.ENOENT or Errno.ESRCH))
        {
            throw new IOException($"the write protection of process {Pid}'s pages at 0x{start:x} could not be lifted: {error.Message()}");
        }
    }

    private static IEnumerable<AddressRange> SharedRanges(List<MapsArea> areas) => areas.Where(a => a.Shared).Select(a => new AddressRange(a.Start, a.End));

    private static bool Trackable(MapsArea area) => area.Private && (area.Path.Length == 0 || area.Path[0] == '[');

    private void RefuseExec()
    {
        // Asked of the first page above zero, which crik never registers (it is below mmap_min_addr).
        if (UserfaultFile.Serves(_userfaultfd, (ulong)Environment.SystemPageSize) == false)
        {
            // Its /proc/PID/pagemap, opened on the old memory too, would scan nothing: no write would ever show.
            throw new IOException($"process {Pid} ran another program (exec) since crik began tracking it, so all of its memory is new");
        }
    }

    /// <summary>Throws IOException when the process has asynchronous I/O (<see cref="AsyncIo"/>), whose writes crik would not see.</summary>
    private static void RefuseAsyncIo(int pid, List<MapsArea> areas)
    {
        if (AsyncIo.Of(pid, areas) is { } io)
        {
            throw new IOException($"process {pid} has {io}, which the kernel can complete into its memory without a page fault, "
                + "so crik could not see all that it writes");
        }
    }

    private static AddressRange? Span(List<MapsArea> areas) => areas.Count == 0 ? null : new AddressRange(areas.Min(a => a.Start), areas.Max(a => a.End));

    private static CodeArea? Vdso(List<MapsArea> areas) =>
        areas.FirstOrDefault(area => area.Path == "[vdso]") is { Size: > 0 } vdso ? new CodeArea(vdso.Start, vdso.End) : null;

    /// <summary>The areas in the user's half of the address space ([vsyscall] is above it).</summary>
    private static List<MapsArea> Areas(List<MapsArea> all) => [.. all.Where(area => area.End <= long.MaxValue)];
}

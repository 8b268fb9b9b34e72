using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// One restored process whose memory crik fills: its userfaultfd and the areas still to fill, as the
/// app changes its memory (a fork gives a child task of its own, an mremap moves areas, a
/// madvise(MADV_DONTNEED) or munmap drops pages). Everything here is done under <see cref="Lock"/>,
/// which a fill holds from its look at the areas to the end of its copy, so that no event read in
/// between can be missed.
/// </summary>
internal sealed class LazyTask : IDisposable
{
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

    public Lock Lock { get; } = new();

    /// <summary>Every page is in (or dropped), or the process is gone: nothing more is filled.</summary>
    public bool Ended { get; private set; }

    /// <summary>Nothing more is filled: every page is in (or dropped), or the process is gone. Under <see cref="Lock"/>.</summary>
    public void End() => Ended = true;

    /// <summary>A forked child's own PID, found (<see cref="ForkedChild"/>); null while it is not. Returns it.</summary>
    public int? Found(int? realPid) => RealPid = realPid;

    public IReadOnlyList<LazyArea> Areas => _areas.InAddressOrder;

    public long Missing => _areas.Missing;

    /// <summary>Marks pages of <paramref name="area"/> done (<see cref="LazyArea.MarkDone"/>), and counts them.</summary>
    public void MarkDone(LazyArea area, long first, long count) => _areas.MarkDone(area, first, count);

    /// <summary>The lazy runs of <paramref name="pagemap"/>, split where a mapping ends (a copy must not cross one).</summary>
    public static LazyTask Create(int pid, Pagemap pagemap, IReadOnlyList<MemoryArea> mappings, UserfaultFile file)
    {
        var areas = new List<LazyArea>();
        MemoryArea[] byStart = [.. mappings.OrderBy(m => m.Start)];
        foreach (PageRun run in pagemap.Runs.Where(r => r.Lazy))
        {
            ulong address = run.Address;
            foreach (MemoryArea mapping in Overlapping(byStart, run.Address, run.End))
            {
                if (!mapping.CanBeLazy)
                {
                    // CRIU neither restores such a page nor registers its mapping: nothing would ever fill it.
                    throw new InvalidDataException($"process {pid}'s lazy pages at 0x{run.Address:x} lie in a mapping that is not filled lazily (0x{mapping.Start:x}, flags 0x{mapping.Flags:x})");
                }
                ulong start = Math.Max(address, mapping.Start), end = Math.Min(run.End, mapping.End);
                if (end > start)
                {
                    areas.Add(new LazyArea(start, run.Offset + (long)(start - run.Address), (long)(end - start) / ImagePage.Bytes));
                }
            }
        }
        return new LazyTask(pid, pagemap.PagesId, file, areas, forkedFrom: null);
    }

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
        var forked = new LazyTask(Pid, PagesId, child, [.. _areas.InAddressOrder.Select(a => a.Clone())], from);
        foreach ((ulong start, ulong end) in notInherited)
        {
            forked.Unmap(start, end);
        }
        return forked;
    }

    /// <summary>mremap moved [<paramref name="from"/>, +<paramref name="length"/>) to <paramref name="to"/>, over whatever was there.</summary>
    public void Remap(ulong from, ulong to, ulong length)
    {
        ulong end = from + length;
        var moving = new List<LazyArea>();
        var staying = new List<LazyArea>();
        foreach (LazyArea area in SplitAt(from, end))
        {
            (area.Address >= from && area.End <= end ? moving : staying).Add(area);
        }
        _areas.Replace(staying);
        Unmap(to, to + length);
        foreach (LazyArea area in moving)
        {
            area.MoveBy((long)to - (long)from);
        }
        _areas.Replace([.. _areas.InAddressOrder.Concat(moving).OrderBy(a => a.Address)]);
    }

    /// <summary>Whether any of the image's pages (filled or not) lie in [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public bool HoldsAny(ulong start, ulong end) => _areas.HoldsAny(start, end);

    /// <summary>The app unmapped [<paramref name="start"/>, <paramref name="end"/>): nothing of the image belongs there any more (a later mapping there is not the app's old memory).</summary>
    public void Unmap(ulong start, ulong end) =>
        _areas.Replace([.. SplitAt(start, end).Where(a => !(a.Address >= start && a.End <= end))]);

    /// <summary>
    /// The app dropped [<paramref name="start"/>, <paramref name="end"/>) (madvise MADV_DONTNEED): those pages read as zeros
    /// from now on, never filled from the image. They leave their areas, so that what is left is only ever what the image holds.
    /// </summary>
    public void Drop(ulong start, ulong end)
    {
        ulong page = (ulong)ImagePage.Bytes;
        Unmap(start & ~(page - 1), (end + page - 1) & ~(page - 1));
    }

    /// <summary>
    /// Takes the guard pages the app installed in [<paramref name="start"/>, <paramref name="end"/>) out of what is left to
    /// fill: the app installs them without an event, and a copy there would remove the guard. Under <see cref="Lock"/>, right
    /// before a copy; a process whose PID crik does not know (a child forked since the restore, not found yet), or a kernel
    /// that cannot tell, is copied into as before.
    /// </summary>
    public void SkipGuards(ulong start, ulong end)
    {
        if (RealPid is not { } pid)
        {
            return;
        }
        foreach ((ulong guardStart, ulong guardEnd) in _guards.In(pid, start, end))
        {
            Unmap(guardStart, guardEnd);
        }
    }

    public void Dispose()
    {
        File.Dispose();
        _guards.Dispose();
    }

    /// <summary>The mappings (by their start) that overlap [<paramref name="start"/>, <paramref name="end"/>).</summary>
    private static IEnumerable<MemoryArea> Overlapping(MemoryArea[] byStart, ulong start, ulong end)
    {
        for (int index = Math.Max(0, LazyAreas.LastAtOrBefore(byStart, m => m.Start, start)); index < byStart.Length && byStart[index].Start < end; index++)
        {
            if (byStart[index].End > start)
            {
                yield return byStart[index];
            }
        }
    }

    /// <summary>The areas with none crossing <paramref name="start"/> or <paramref name="end"/>.</summary>
    private List<LazyArea> SplitAt(ulong start, ulong end)
    {
        var split = new List<LazyArea>();
        foreach (LazyArea area in _areas.InAddressOrder)
        {
            LazyArea rest = area;
            foreach (ulong cut in new[] { start, end })
            {
                if (cut > rest.Address && cut < rest.End)
                {
                    (LazyArea before, rest) = rest.SplitAt((long)(cut - rest.Address) / ImagePage.Bytes);
                    split.Add(before);
                }
            }
            split.Add(rest);
        }
        return split;
    }
}

/// <summary>Where a child forked since the restore came from: its parent's PID (null when crik does not know it).</summary>
internal sealed record ForkedFrom(int? ParentPid);

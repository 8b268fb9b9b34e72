using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// Which pages of a process were written, as a userfaultfd in asynchronous write-protect mode (<see cref="AppUserfaultfd"/>)
/// and the PAGEMAP_SCAN ioctl on its /proc/PID/pagemap tell: an area registered with the userfaultfd has its pages
/// write-protected by a scan, and the kernel lifts the protection at a page's first write and marks it written.
/// </summary>
internal static unsafe class PageWrites
{
    private const int RegionsPerCall = 4096;

    /// <summary>Registers [<paramref name="start"/>, <paramref name="end"/>) for write-protection; false when the kernel will not track that area.</summary>
    public static bool Register(SafeFileHandle userfaultfd, ulong start, ulong end)
    {
        var register = new Libc.UserfaultRegister { Range = new() { Start = start, Length = end - start }, Mode = Libc.UFFDIO_REGISTER_MODE_WP };
        return Libc.Ioctl(userfaultfd, Libc.UFFDIO_REGISTER, &register) == 0;
    }

    /// <summary>
    /// Lifts the write protection of [<paramref name="start"/>, <paramref name="end"/>), so that a later scan reports its
    /// pages as written: null when done, else the kernel's error. ENOENT: an area there is not registered (unmapped, or
    /// replaced by one crik never registered, whose pages count as untracked), and the kernel stopped at it, so the areas
    /// after it in the range were left as they are; ESRCH: the memory is gone.
    /// </summary>
    public static Errno? Unprotect(SafeFileHandle userfaultfd, ulong start, ulong end)
    {
        var unprotect = new Libc.UserfaultWriteProtect { Range = new Libc.UserfaultRange { Start = start, Length = end - start } };
        return Libc.Ioctl(userfaultfd, Libc.UFFDIO_WRITEPROTECT, &unprotect) == 0 ? null : Libc.LastErrno;
    }

    /// <summary>The pages in [<paramref name="start"/>, <paramref name="end"/>) whose areas are not registered: their writes are not tracked.</summary>
    public static List<(ulong Start, ulong End)> Untracked(SafeFileHandle pagemap, ulong start, ulong end) =>
        Scan(pagemap, start, end, new Libc.PagemapScanArguments
        {
            CategoryInverted = Libc.PAGE_IS_WPALLOWED,
            CategoryMask = Libc.PAGE_IS_WPALLOWED,
            ReturnMask = Libc.PAGE_IS_WPALLOWED,
        });

    /// <summary>
    /// The pages of registered areas in [<paramref name="start"/>, <paramref name="end"/>) written since they were last
    /// write-protected, each write-protected again by the same call; areas not registered are passed over.
    /// </summary>
    public static List<(ulong Start, ulong End)> WrittenAndProtectAgain(SafeFileHandle pagemap, ulong start, ulong end) =>
        Scan(pagemap, start, end, new Libc.PagemapScanArguments
        {
            Flags = Libc.PM_SCAN_WP_MATCHING,
            CategoryMask = Libc.PAGE_IS_WPALLOWED | Libc.PAGE_IS_WRITTEN,
            CategoryAnyOf = Libc.PAGE_IS_PRESENT | Libc.PAGE_IS_SWAPPED,
            ReturnMask = Libc.PAGE_IS_WRITTEN,
        });

    /// <summary>
    /// The pages in [<paramref name="start"/>, <paramref name="end"/>) that hold the process's own data, as CRIU dumps them: in
    /// memory or swapped out (a page swapped in later keeps its protection), not the shared zero page, not a guard page, and not
    /// a file's page (a private file mapping's page the process did not write is the file's). Written or not, and left as they
    /// are; only those of registered areas when <paramref name="registeredOnly"/>.
    /// </summary>
    public static List<(ulong Start, ulong End)> OwnPages(SafeFileHandle pagemap, ulong start, ulong end, bool registeredOnly)
    {
        const ulong notOwn = Libc.PAGE_IS_FILE | Libc.PAGE_IS_PFNZERO | Libc.PAGE_IS_GUARD;
        return Scan(pagemap, start, end, new Libc.PagemapScanArguments
        {
            CategoryInverted = notOwn,
            CategoryMask = notOwn | (registeredOnly ? Libc.PAGE_IS_WPALLOWED : 0),
            CategoryAnyOf = Libc.PAGE_IS_PRESENT | Libc.PAGE_IS_SWAPPED,
            ReturnMask = Libc.PAGE_IS_PRESENT | Libc.PAGE_IS_SWAPPED,
        });
    }

    /// <summary>As <see cref="WrittenAndProtectAgain"/>, but leaving each page as it is: a written page stays written.</summary>
    public static List<(ulong Start, ulong End)> Written(SafeFileHandle pagemap, ulong start, ulong end) =>
        Scan(pagemap, start, end, new Libc.PagemapScanArguments
        {
            CategoryMask = Libc.PAGE_IS_WPALLOWED | Libc.PAGE_IS_WRITTEN,
            CategoryAnyOf = Libc.PAGE_IS_PRESENT | Libc.PAGE_IS_SWAPPED,
            ReturnMask = Libc.PAGE_IS_WRITTEN,
        });

    /// <summary>
    /// The runs of pages in [<paramref name="start"/>, <paramref name="end"/>) that one PAGEMAP_SCAN's <paramref name="arguments"/>
    /// match, in address order. A call that does not fill the vector walked to the end. The kernel's walk_end does not say so:
    /// a call that gathers more runs than the kernel holds at once (512) and then walks to the end reports where its first
    /// pass stopped (seen on 6.18), and a call from there would report again, out of order, what a running process wrote
    /// since. After a full vector the next call starts past the last run reported.
    /// </summary>
    internal static List<(ulong Start, ulong End)> Scan(SafeFileHandle pagemap, ulong start, ulong end, Libc.PagemapScanArguments arguments)
    {
        var found = new List<(ulong Start, ulong End)>();
        Libc.PageRegion* regions = (Libc.PageRegion*)NativeMemory.Alloc(RegionsPerCall, (nuint)sizeof(Libc.PageRegion));
        try
        {
            arguments.Size = (ulong)sizeof(Libc.PagemapScanArguments);
            arguments.Vector = (ulong)regions;
            arguments.VectorLength = RegionsPerCall;
            for (ulong from = start; from < end;)
            {
                arguments.Start = from;
                arguments.End = end;
                arguments.WalkEnd = 0;
                int count = Libc.Ioctl(pagemap, Libc.PAGEMAP_SCAN, &arguments);
                if (count < 0)
                {
                    throw new IOException($"PAGEMAP_SCAN failed: {Libc.Describe(Libc.LastErrno)}");
                }
                for (int i = 0; i < count; i++)
                {
                    Add(found, regions[i].Start, regions[i].End);
                }
                if (count < RegionsPerCall)
                {
                    break;
                }
                ulong next = Math.Max(arguments.WalkEnd, regions[count - 1].End);
                if (next <= from)
                {
                    throw new IOException($"PAGEMAP_SCAN walked no further than 0x{from:x}");
                }
                from = next;
            }
            return found;
        }
        finally
        {
            NativeMemory.Free(regions);
        }
    }

    /// <summary>Adds a run after those found, merged with the last where they meet; throws IOException for one out of order (crik does not guess what it means).</summary>
    private static void Add(List<(ulong Start, ulong End)> ranges, ulong start, ulong end)
    {
        if (ranges.Count > 0 && start < ranges[^1].End)
        {
            throw new IOException($"PAGEMAP_SCAN reported pages at 0x{start:x} after pages up to 0x{ranges[^1].End:x}");
        }
        if (ranges.Count > 0 && ranges[^1].End == start)
        {
            ranges[^1] = (ranges[^1].Start, end);
        }
        else
        {
            ranges.Add((start, end));
        }
    }
}

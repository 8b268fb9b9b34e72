using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// Guard pages a process installed (madvise MADV_GUARD_INSTALL, Linux 6.13), as PAGEMAP_SCAN's PAGE_IS_GUARD shows them
/// (Linux 6.15). No userfaultfd event says a guard was installed, and UFFDIO_COPY writes over a guard as if its page were
/// empty (6.18, tried), so a fill looks before it copies.
/// </summary>
internal static class GuardPages
{
    /// <summary>The runs of guard pages in [<paramref name="start"/>, <paramref name="end"/>); throws IOException when the kernel cannot tell.</summary>
    public static List<(ulong Start, ulong End)> In(SafeFileHandle pagemap, ulong start, ulong end) =>
        PageWrites.Scan(pagemap, start, end, new Libc.PagemapScanArguments
        {
            CategoryMask = Libc.PAGE_IS_GUARD,
            ReturnMask = Libc.PAGE_IS_GUARD,
        });
}

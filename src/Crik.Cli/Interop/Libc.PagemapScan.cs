using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

// The PAGEMAP_SCAN ioctl on /proc/PID/pagemap (Linux 6.7): which pages of another process were written since they
// were last write-protected through a userfaultfd in asynchronous write-protect mode, and write-protect them again.
internal static unsafe partial class Libc
{
    /// <summary>_IOWR('f', 16, struct pm_scan_arg).</summary>
    internal const nuint PAGEMAP_SCAN = 0xC0606610;

    /// <summary>A page's categories (include/uapi/linux/fs.h).</summary>
    internal const ulong PAGE_IS_WPALLOWED = 1 << 0, PAGE_IS_WRITTEN = 1 << 1, PAGE_IS_FILE = 1 << 2, PAGE_IS_PRESENT = 1 << 3, PAGE_IS_SWAPPED = 1 << 4,
        PAGE_IS_PFNZERO = 1 << 5, PAGE_IS_GUARD = 1 << 8;

    /// <summary>PM_SCAN_WP_MATCHING: write-protect the pages the scan matches.</summary>
    internal const ulong PM_SCAN_WP_MATCHING = 1 << 0;

    /// <summary>_IOWR(0xAA, 0x00, struct uffdio_register).</summary>
    internal const nuint UFFDIO_REGISTER = 0xC020AA00;

    internal const ulong UFFDIO_REGISTER_MODE_WP = 1 << 1;

    /// <summary>The userfaultfd features of asynchronous write-protection: no message, the kernel lifts it at the first write and marks the page written.</summary>
    internal const ulong UFFD_FEATURE_WP_UNPOPULATED = 1 << 13, UFFD_FEATURE_WP_ASYNC = 1 << 15;

    /// <summary>struct pm_scan_arg.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PagemapScanArguments
    {
        public ulong Size;
        public ulong Flags;
        public ulong Start;
        public ulong End;
        public ulong WalkEnd;
        public ulong Vector;
        public ulong VectorLength;
        public ulong MaxPages;
        public ulong CategoryInverted;
        public ulong CategoryMask;
        public ulong CategoryAnyOf;
        public ulong ReturnMask;
    }

    /// <summary>struct page_region.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PageRegion
    {
        public ulong Start;
        public ulong End;
        public ulong Categories;
    }

    /// <summary>struct uffdio_register.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UserfaultRegister
    {
        public UserfaultRange Range;
        public ulong Mode;
        public ulong Ioctls;
    }
}

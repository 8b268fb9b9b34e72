using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// One page's 64-bit entry in /proc/PID/pagemap. The kernel shows every page table entry that is neither empty nor
/// present as swapped out (bit 62), its markers too: a guard page (MADV_GUARD_INSTALL, which also sets bit 58) and the
/// write-protect marker a userfaultfd with UFFD_FEATURE_WP_UNPOPULATED leaves on an empty entry (bit 57, which a
/// write-protected page really swapped out has as well). What tells the marker from that page is the swap type in the
/// low five bits, shown only to a reader with CAP_SYS_ADMIN: markers have the highest type (31), which no swap area gets.
/// Seen on 6.18: a page swapped out 0x4000000000000060, write-protected and swapped out 0x4200000000000020, a
/// write-protect marker 0x420000000000003f, a guard 0x440000000000009f.
/// </summary>
internal static class ProcPagemap
{
    private const ulong Present = 1UL << 63, Swapped = 1UL << 62, Guard = 1UL << 58;
    private const ulong SwapType = 0x1f, MarkerType = 0x1f;

    /// <summary>
    /// Whether the page of <paramref name="entry"/> holds bytes of its own: in memory, or swapped out. An empty entry and a
    /// marker hold none. Without the swap type (a reader without CAP_SYS_ADMIN) a write-protect marker counts as swapped out.
    /// </summary>
    public static bool Holds(ulong entry) =>
        (entry & Present) != 0 || ((entry & Swapped) != 0 && (entry & Guard) == 0 && (entry & SwapType) != MarkerType);

    /// <summary>The entry of the page at <paramref name="address"/>, read from an open /proc/PID/pagemap; throws <see cref="IOException"/> when it cannot be read whole.</summary>
    public static ulong EntryAt(SafeFileHandle pagemap, ulong address)
    {
        Span<byte> entry = stackalloc byte[8];
        if (RandomAccess.Read(pagemap, entry, (long)(address / (ulong)Environment.SystemPageSize) * 8) != 8)
        {
            throw new IOException($"could not read /proc's pagemap at 0x{address:x}");
        }
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(entry);
    }
}

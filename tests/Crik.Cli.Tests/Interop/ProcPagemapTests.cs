using Crik.Cli.Interop;
using Xunit;

namespace Crik.Cli.Tests.Interop;

/// <summary>
/// Which /proc/PID/pagemap entries hold a page's bytes, for a checkpoint taken while memory arrives: the entries are the
/// ones Linux 6.18 gave here for each state (apps/page-states.c makes them; the swapped ones with a swap file made for it).
/// </summary>
[Trait("Category", "Unit")]
public sealed class ProcPagemapTests
{
    [Theory]
    [InlineData(0x8100000000165f8dUL)] // in memory
    [InlineData(0x8300000000165f8fUL)] // in memory, write-protected by a userfaultfd
    [InlineData(0x4000000000000060UL)] // swapped out (swap area 0)
    [InlineData(0x4200000000000020UL)] // write-protected, then swapped out
    [InlineData(0x4000000000000000UL)] // swapped out, read without CAP_SYS_ADMIN (no swap type shown)
    public void APageInMemoryOrSwappedOutHoldsItsBytes(ulong entry) => Assert.True(ProcPagemap.Holds(entry));

    [Theory]
    [InlineData(0x0UL)] // never touched, or dropped (MADV_DONTNEED, MADV_FREE then reclaimed)
    [InlineData(0x420000000000003fUL)] // the write-protect marker UFFD_FEATURE_WP_UNPOPULATED leaves on an empty entry
    [InlineData(0x440000000000009fUL)] // a guard page
    [InlineData(0x4400000000000000UL)] // a guard page, read without CAP_SYS_ADMIN
    public void AnEmptyEntryOrAMarkerHoldsNone(ulong entry) => Assert.False(ProcPagemap.Holds(entry));
}

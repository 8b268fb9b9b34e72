using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>Which areas a forked child does not have as its parent has them, read from the parent's smaps as the kernel shows them.</summary>
[Trait("Category", "Unit")]
public sealed class ForkInheritanceTests
{
    private const string Smaps = """
        55d0c0000000-55d0c0021000 rw-p 00000000 00:00 0                          [heap]
        Size:                132 kB
        VmFlags: rd wr mr mw me ac sd
        7f0000000000-7f0000100000 rw-p 00000000 00:00 0
        Size:               1024 kB
        Locked:                0 kB
        VmFlags: rd wr mr mw me ac sd wf
        7f0000200000-7f0000300000 rw-p 00000000 00:00 0
        VmFlags: rd wr mr mw me dc ac sd
        7f0000400000-7f0000401000 r-xp 00000000 08:01 1234                       /usr/lib/x-y-z.so
        VmFlags: rd ex mr mw me sd
        """;

    [Fact]
    public void WipeOnForkAndDontForkAreasAreNotInherited()
    {
        Assert.Equal([(0x7f0000000000UL, 0x7f0000100000UL), (0x7f0000200000UL, 0x7f0000300000UL)], ForkInheritance.NotInheritedIn(Smaps));
    }

    /// <summary>
    /// A parent gone by the time crik reads its fork's event (it exited right after, as a daemon's double fork does) says
    /// nothing of what its child has: crik fails the fill rather than give the child zeros for all of its memory.
    /// </summary>
    [Fact]
    public void AParentThatIsGoneLeavesTheChildsInheritanceUnknownNotEmpty()
    {
        using var parent = System.Diagnostics.Process.Start("true")!;
        parent.WaitForExit();
        IOException unknown = Assert.Throws<IOException>(() => ForkInheritance.NotInherited(parent.Id));
        Assert.Contains("has gone", unknown.Message, StringComparison.Ordinal);
    }
}

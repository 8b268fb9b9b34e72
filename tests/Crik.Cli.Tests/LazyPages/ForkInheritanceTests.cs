using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// Which of its parent's memory a forked child does not have, read from the smaps of both as the kernel shows them: the
/// child's own registered areas decide, the parent's flags only where the child has no area.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ForkInheritanceTests
{
    private const ulong Wiped = 0x7f0000000000, NotCopied = 0x7f0000200000, Plain = 0x7f0000400000, Mib = 0x100000;

    private const string Parent = """
        55d0c0000000-55d0c0021000 rw-p 00000000 00:00 0                          [heap]
        Size:                132 kB
        VmFlags: rd wr mr mw me ac sd
        7f0000000000-7f0000100000 rw-p 00000000 00:00 0
        Size:               1024 kB
        Locked:                0 kB
        VmFlags: rd wr mr mw me ac sd wf um
        7f0000200000-7f0000300000 rw-p 00000000 00:00 0
        VmFlags: rd wr mr mw me dc ac sd um
        7f0000400000-7f0000500000 rw-p 00000000 00:00 0
        VmFlags: rd wr mr mw me ac sd um
        7f0000600000-7f0000601000 r-xp 00000000 08:01 1234                       /usr/lib/x-y-z.so
        VmFlags: rd ex mr mw me sd
        """;

    /// <summary>What the kernel gives the child: the wiped area, without its pages; the plain one whole; no copy of the other.</summary>
    private const string Child = """
        7f0000000000-7f0000100000 rw-p 00000000 00:00 0
        VmFlags: rd wr mr mw me ac sd wf um
        7f0000400000-7f0000500000 rw-p 00000000 00:00 0
        VmFlags: rd wr mr mw me ac sd um
        """;

    private static readonly (ulong, ulong)[] Held = [(Wiped, Wiped + Mib), (NotCopied, NotCopied + Mib), (Plain, Plain + Mib)];

    [Fact]
    public void WithOnlyTheParentReadWipeOnForkAndDontForkAreasAreNotInherited()
    {
        Assert.Equal([(Wiped, Wiped + Mib), (NotCopied, NotCopied + Mib)], ForkInheritance.NotInherited(Parent, null, Held));
    }

    [Fact]
    public void TheChildsOwnAreasGiveTheSameAnswer()
    {
        Assert.Equal([(Wiped, Wiped + Mib), (NotCopied, NotCopied + Mib)], ForkInheritance.NotInherited(Parent, Child, Held));
    }

    /// <summary>
    /// The parent exits right after its fork (a daemon's double fork): the child alone says what it has, and keeps its
    /// memory; before, crik failed the fill here.
    /// </summary>
    [Fact]
    public void AParentGoneSinceItsForkLeavesTheChildToSay()
    {
        Assert.Equal([(Wiped, Wiped + Mib)], ForkInheritance.NotInherited(null, Child, [(Wiped, Wiped + Mib), (Plain, Plain + Mib)]));
    }

    /// <summary>
    /// The parent unmaps its wipe-on-fork area right after the fork, before crik reads its smaps: read from the parent
    /// alone, the child would get the parent's bytes there instead of zeros. The child still has the area, marked.
    /// </summary>
    [Fact]
    public void AParentThatUnmapsAWipedAreaAfterItsForkDoesNotGiveTheChildItsPages()
    {
        string parentLater = Parent.Replace("7f0000000000-7f0000100000", "7f0000a00000-7f0000b00000", StringComparison.Ordinal);
        Assert.Empty(ForkInheritance.NotInherited(parentLater, null, [(Wiped, Wiped + Mib)]));
        Assert.Equal([(Wiped, Wiped + Mib)], ForkInheritance.NotInherited(parentLater, Child, [(Wiped, Wiped + Mib)]));
    }

    /// <summary>
    /// The child moved or unmapped an area since (its event still to come, which crik follows): kept where the parent's
    /// flags do not say otherwise, so the move carries its pages.
    /// </summary>
    [Fact]
    public void AnAreaTheChildHasNoLongerIsLeftForItsOwnEvent()
    {
        Assert.Empty(ForkInheritance.NotInherited(Parent, Child.Split('\n')[0] + "\n" + Child.Split('\n')[1], [(Plain, Plain + Mib)]));
    }

    [Fact]
    public void AChildWithNoAreaRegisteredWithCrikHasNothingToFill()
    {
        const string exec = "559000000000-559000001000 r-xp 00000000 08:01 99   /usr/bin/sh\nVmFlags: rd ex mr mw me sd\n";
        Assert.Equal(Held, ForkInheritance.NotInherited(Parent, exec, Held));
    }

    /// <summary>Half an area marked in the parent only after the fork (madvise splits it): the two views disagree there, and crik does not guess.</summary>
    [Fact]
    public void AnAreaWipedInTheParentButWholeInTheChildCannotBeKnown()
    {
        string parentMarked = Parent.Replace("7f0000400000-7f0000500000 rw-p 00000000 00:00 0\nVmFlags: rd wr mr mw me ac sd um",
            "7f0000400000-7f0000480000 rw-p 00000000 00:00 0\nVmFlags: rd wr mr mw me ac sd um\n7f0000480000-7f0000500000 rw-p 00000000 00:00 0\nVmFlags: rd wr mr mw me ac sd wf um",
            StringComparison.Ordinal);
        Assert.NotEqual(Parent, parentMarked);
        IOException unknown = Assert.Throws<IOException>(() => ForkInheritance.NotInherited(parentMarked, Child, [(Plain, Plain + Mib)]));
        Assert.Contains("0x7f0000480000-0x7f0000500000", unknown.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The parent unmapped its wipe-on-fork area since the fork and mapped something else there, which crik does not serve (no
    /// "um"): that says nothing of the fork, and the child's mark decides. Taken as the parent's whole area, it was one crik
    /// cannot know, and the fill failed.
    /// </summary>
    [Fact]
    public void AParentsAreaMappedSinceTheForkSaysNothing()
    {
        string parentRemapped = Parent.Replace("7f0000000000-7f0000100000 rw-p 00000000 00:00 0\nSize:               1024 kB\nLocked:                0 kB\nVmFlags: rd wr mr mw me ac sd wf um",
            "7f0000000000-7f0000100000 rw-p 00000000 00:00 0\nVmFlags: rd wr mr mw me ac sd", StringComparison.Ordinal);
        Assert.NotEqual(Parent, parentRemapped);
        Assert.Equal([(Wiped, Wiped + Mib)], ForkInheritance.NotInherited(parentRemapped, Child, [(Wiped, Wiped + Mib), (Plain, Plain + Mib)]));
    }

    [Fact]
    public void NeitherReadIsNotAnswered()
    {
        Assert.Throws<IOException>(() => ForkInheritance.NotInherited(null, null, Held));
    }

    [Theory]
    [InlineData(ForkedArea.Unknown, ForkedArea.Wiped, true)]
    [InlineData(ForkedArea.Whole, ForkedArea.Wiped, null)]
    [InlineData(ForkedArea.Wiped, ForkedArea.Wiped, true)]
    [InlineData(ForkedArea.NotCopied, ForkedArea.None, true)]
    [InlineData(ForkedArea.Wiped, ForkedArea.None, true)]
    [InlineData(ForkedArea.Whole, ForkedArea.None, false)]
    [InlineData(ForkedArea.None, ForkedArea.None, false)]
    [InlineData(ForkedArea.Unknown, ForkedArea.None, false)]
    [InlineData(ForkedArea.NotCopied, ForkedArea.Whole, false)]
    [InlineData(ForkedArea.None, ForkedArea.Whole, false)]
    [InlineData(ForkedArea.Wiped, ForkedArea.Whole, null)]
    [InlineData(ForkedArea.Wiped, ForkedArea.Unknown, true)]
    [InlineData(ForkedArea.NotCopied, ForkedArea.Unknown, true)]
    [InlineData(ForkedArea.Whole, ForkedArea.Unknown, false)]
    [InlineData(ForkedArea.Unknown, ForkedArea.Unknown, null)]
    internal void EachPairOfViewsHasOneAnswer(ForkedArea parent, ForkedArea child, bool? dropped)
    {
        Assert.Equal(dropped, ForkInheritance.Decide(parent, child));
    }
}

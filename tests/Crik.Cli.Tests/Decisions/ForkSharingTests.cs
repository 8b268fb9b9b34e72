using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>Which mappings are cut and which lazy pages CRIU restores itself, so that forked processes share what they shared.</summary>
[Trait("Category", "Unit")]
public sealed class ForkSharingTests
{
    private const ulong MiB = 1 << 20;

    private static MappedArea Plain(ulong start, ulong end) => new(start * MiB, end * MiB, GrowsDown: false, Plain: true);

    private static AddressRange Mib(ulong start, ulong end) => new(start * MiB, end * MiB);

    private static ProcessMemory Process(int pid, int parent, MappedArea[] areas, params AddressRange[] lazy) =>
        new(pid, parent, ExeFileId: 7, areas, lazy);

    [Fact]
    public void PagesAChildAndItsParentBothHaveInAMappingTheyShareAreRestoredByCriuInBoth()
    {
        SharingPlan plan = ForkSharing.Plan([
            Process(1, 0, [Plain(10, 20), Plain(30, 40)], Mib(10, 20), Mib(30, 40)),
            Process(2, 1, [Plain(10, 20)], Mib(12, 18)),
        ]);
        Assert.Empty(plan.Cuts);
        Assert.Equal([Mib(12, 18)], plan.Eager[1]); // the parent's other memory stays lazy
        Assert.Equal([Mib(12, 18)], plan.Eager[2]);
        Assert.Equal(6 * MiB, plan.SharedBytes);
    }

    [Fact]
    public void AnAppWithoutChildrenOrWithChildrenOfAnotherExecutableIsLeftAsItIs()
    {
        Assert.Empty(ForkSharing.Plan([Process(1, 0, [Plain(10, 20)], Mib(10, 20))]).Eager);
        SharingPlan exec = ForkSharing.Plan([
            Process(1, 0, [Plain(10, 20)], Mib(10, 20)),
            Process(2, 1, [Plain(10, 20)], Mib(10, 20)) with { ExeFileId = 8 },
        ]);
        Assert.Empty(exec.Eager);
        Assert.Empty(exec.Cuts);
    }

    [Fact]
    public void AMappingThatGrewAfterTheForkIsCutWhereTheChildsEndsSoThatCriuPairsThem()
    {
        // The parent's mapping merged with one it made after the fork: [10, 30) against the child's [10, 20).
        SharingPlan plan = ForkSharing.Plan([
            Process(1, 0, [Plain(10, 30)], Mib(10, 30)),
            Process(2, 1, [Plain(10, 20)], Mib(10, 20)),
        ]);
        Assert.Equal([20 * MiB], plan.Cuts[1]);
        Assert.False(plan.Cuts.ContainsKey(2));
        Assert.Equal([Mib(10, 20)], plan.Eager[1]); // its newer memory, [20, 30), stays lazy
        Assert.Equal([Mib(10, 20)], plan.Eager[2]);
    }

    [Fact]
    public void ACutMadeForOneRelativeIsMadeInTheOthersTooSoThatEveryPairStillMatches()
    {
        // Grandparent [10, 40); parent [10, 30) after its own merge; child [10, 30) as the parent's was at its fork.
        // The grandparent is cut at 30 for the parent; the parent is also cut nowhere new; a sibling [20, 40) of
        // the parent cuts the grandparent at 20, which must then cut the parent and the child at 20 as well.
        SharingPlan plan = ForkSharing.Plan([
            Process(1, 0, [Plain(10, 40)], Mib(10, 40)),
            Process(2, 1, [Plain(10, 30)], Mib(10, 30)),
            Process(3, 2, [Plain(10, 30)], Mib(10, 30)),
            Process(4, 1, [Plain(20, 40)], Mib(20, 40)),
        ]);
        Assert.Equal([20 * MiB, 30 * MiB], plan.Cuts[1]);
        Assert.Equal([20 * MiB], plan.Cuts[2]);
        Assert.Equal([20 * MiB], plan.Cuts[3]);
        Assert.Equal([Mib(10, 40)], plan.Eager[1]);
        Assert.Equal([Mib(10, 30)], plan.Eager[3]);
        Assert.Equal((20 + 20 + 20) * MiB, plan.SharedBytes); // what 2, 3 and 4 share with their parents
    }

    [Fact]
    public void StacksAndSpecialMappingsAreNeverCut()
    {
        var stack = new MappedArea(10 * MiB, 30 * MiB, GrowsDown: true, Plain: false);
        SharingPlan plan = ForkSharing.Plan([
            Process(1, 0, [stack], Mib(10, 30)),
            Process(2, 1, [new MappedArea(10 * MiB, 20 * MiB, GrowsDown: true, Plain: false)], Mib(10, 20)),
        ]);
        Assert.Empty(plan.Cuts);
        Assert.Empty(plan.Eager); // the mappings differ, so CRIU would not pair them: nothing is restored early for nothing
    }

    [Fact]
    public void ATreeWhoseMappingsAllDifferIsNotCutIntoMoreMappingsThanTheKernelAllows()
    {
        var parentAreas = Enumerable.Range(0, ForkSharing.MostCuts + 10).Select(i => Plain((ulong)(2 * i), (ulong)(2 * i) + 1)).ToArray();
        SharingPlan plan = ForkSharing.Plan([
            Process(1, 0, parentAreas),
            Process(2, 1, [Plain(0, 2 * (ulong)(ForkSharing.MostCuts + 10))]),
        ]);
        Assert.Empty(plan.Cuts);
    }
}

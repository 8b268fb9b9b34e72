using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>Which process a fork's child is, from what the kernel orders rather than from when crik looked.</summary>
[Trait("Category", "Unit")]
public sealed class ForkedChildTests
{
    /// <summary>
    /// Before, crik took the parent's children after the fork's event as the siblings "before" it: the child, once it had its
    /// PID by then, was left out, and a program the parent had spawned was taken for it. A spawned child shares its parent's
    /// memory until it runs its program, and has none registered with crik after.
    /// </summary>
    [Fact]
    public void AChildSpawnedBesideTheForkIsNeverTakenForIt()
    {
        int[] children = [41, 42, 43];
        Func<int, bool> sharing = c => c == 41, registered = c => c is 41 or 42;
        Assert.Equal(42, ForkedChild.Choose(children, sharing, registered));
        Assert.Null(ForkedChild.Choose([41, 43], sharing, registered)); // the fork's child has no PID yet
    }

    /// <summary>
    /// A daemon's parent exits as crik looks for its child: the kernel hands the child to the reaper (crik) before the parent
    /// shows as a zombie. Before, crik asked whether the parent was gone and then read its children, so a parent that exited
    /// between the two reads left the child in neither list, and the fill failed (seen in CI with each /proc read late).
    /// Here the parent exits before each of crik's reads in turn, and after them all.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AParentThatExitsAsCrikLooksLeavesItsChildWhereCrikLooksNext(int readsBeforeTheExit)
    {
        const int parent = 40, reaper = 1, child = 42;
        int reads = 0;
        bool Exited() => reads++ >= readsBeforeTheExit;
        IEnumerable<int> Children(int pid) => Exited() ? (pid == reaper ? [7, child] : []) : (pid == parent ? [child] : [7]);
        Assert.Contains(child, ForkedChild.Candidates(parent, reaper, Children, _ => Exited()));
    }

    [Fact]
    public void TwoChildrenThatCouldBeItAreNeither()
    {
        Assert.Null(ForkedChild.Choose([42, 44], _ => false, _ => true));
    }

    [Fact]
    public void TwoForksNotFoundYetAreNeverToldApart()
    {
        Assert.Null(ForkedChild.Find(Environment.ProcessId, new HashSet<int>(), unfound: 2));
    }
}

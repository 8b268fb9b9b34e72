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

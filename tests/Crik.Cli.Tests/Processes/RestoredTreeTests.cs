using System.Diagnostics;
using Crik.Cli.Processes;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Processes;

/// <summary>
/// What a restore left is killed by descriptor, found from crik's own children (<see cref="RestoredTree"/>): never a
/// number of the checkpoint's that crik's own threads or another process hold now. Here the test is crik.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RestoredTreeTests
{
    [Fact]
    public void AChildHoldingOneOfTheIdsIsKilledWithItsDescendants()
    {
        using Process root = Start("sleep 300 & sleep 300 & wait");
        Poll.Until(() => ProcessTree.Processes(root.Id).Count == 3, "the shell's two children to start");
        List<int> tree = ProcessTree.Processes(root.Id);

        List<int> killed = RestoredTree.Kill([root.Id], () => []);

        Assert.Equal(tree, killed.Order().ToList());
        Assert.True(root.WaitForExit(10_000));
        Poll.Until(() => ProcessTree.InUse(tree).Count == 0, "the killed processes to be gone");
    }

    /// <summary>A daemon the app started, whose parent died: crik adopted it, and it holds a number of its own.</summary>
    [Fact]
    public void AnAdoptedChildIsKilledWithItsDescendantsThoughItHoldsNoneOfTheIds()
    {
        using Process daemon = Start("sleep 300 & wait");
        Poll.Until(() => ProcessTree.Processes(daemon.Id).Count == 2, "the shell's child to start");
        List<int> tree = ProcessTree.Processes(daemon.Id);

        List<int> killed = RestoredTree.Kill([], () => [daemon.Id]);

        Assert.Equal(tree, killed);
        Assert.True(daemon.WaitForExit(10_000));
        Poll.Until(() => ProcessTree.InUse(tree).Count == 0, "the killed processes to be gone");
    }

    [Fact]
    public void NumbersThatNameCriksOwnThreadsOrProcessesThatAreNotItsChildrenAreLeftAlone()
    {
        using Process other = Start("sleep 300 & wait");
        Poll.Until(() => ProcessTree.Processes(other.Id).Count == 2, "the shell's child to start");
        int grandchild = ProcessTree.Children(other.Id).Single();
        List<int> ownThreads = ProcessTree.Threads(Environment.ProcessId).ToList();
        try
        {
            // The grandchild is no child of "crik", and its parent's number is not among the IDs.
            Assert.Empty(RestoredTree.Kill([.. ownThreads, grandchild], () => []));
            Assert.False(other.HasExited);
            Assert.Contains(grandchild, ProcessTree.InUse([grandchild]));
        }
        finally
        {
            other.Kill(entireProcessTree: true);
        }
    }

    private static Process Start(string script) =>
        Process.Start(new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false })!;
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>
/// A node-state client that fails in a way nobody expected is switched off, and crik then knows no more than
/// when the server cannot be reached: a SIGTERM follows onNodeStateError, whatever the server would have said.
/// </summary>
public sealed class NodeStateSwitchedOffTests
{
    /// <summary>The poll is the supervisor's own task: its failure must not end crik, nor the app with it.</summary>
    [CriuFact]
    public void AFailedPollSwitchesTheClientOffAndSigtermFollowsOnNodeStateError()
    {
        using var server = new FakeNodeStateServer("ready");
        using var pods = new Pods($"nodeStateServerURL: {server.Url}\ncheckpointInterval: 1h\nnodeStatePollInterval: 1s\n");
        using CrikRun pod = Start(pods);
        pod.WaitForLine("count 3");

        string warning = Faults.SwitchedOffOnce(pod, "node-state client is");
        Assert.Contains("it hears no early warnings, and a SIGTERM is decided as when the server cannot answer (checkpointing anyway, "
            + "onNodeStateError: checkpoint)", warning, StringComparison.Ordinal);
        Faults.AppGoesOn(pod);
        Assert.Empty(server.Paths);

        Pods.CheckpointAndStop(pod);
        Assert.Contains("onNodeStateError: checkpoint", pod.WaitForLine("SIGTERM: cannot tell whether the node is shutting down", stderr: true),
            StringComparison.Ordinal);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.Empty(server.Paths);
        Faults.NoCrash(pod);
    }

    /// <summary>The node is going away, but crik cannot know it: onNodeStateError decides, as for a server it cannot reach.</summary>
    [CriuTheory]
    [InlineData("checkpoint")]
    [InlineData("skip")]
    public void AClientThatFailsAtSigtermFollowsOnNodeStateError(string policy)
    {
        using var server = new FakeNodeStateServer("shutting-down");
        using var pods = new Pods($"nodeStateServerURL: {server.Url}\nonNodeStateError: {policy}\n");
        using CrikRun pod = Start(pods);
        pod.WaitForLine("count 3");

        if (policy == "checkpoint")
        {
            Pods.CheckpointAndStop(pod);
            Assert.Equal(["checkpoint-000001"], pods.Committed());
            Assert.DoesNotContain("app-got-term", pod.Stdout);
        }
        else
        {
            pods.SigtermReachesTheAppWithoutACheckpoint(pod, Faults.CounterExitOnSigterm);
        }
        string decision = policy == "checkpoint" ? "checkpointing anyway" : "not checkpointing";
        Assert.Contains($"({decision}, onNodeStateError: {policy})", Faults.SwitchedOffOnce(pod, "node-state client is"), StringComparison.Ordinal);
        Assert.Contains($"onNodeStateError: {policy}", pod.WaitForLine("SIGTERM: cannot tell whether the node is shutting down", stderr: true),
            StringComparison.Ordinal);
        Assert.Empty(server.Paths);
        Faults.NoCrash(pod);
    }

    private static CrikRun Start(Pods pods) =>
        pods.StartWith(Faults.At("crik node state", new Dictionary<string, string> { ["KUBERNETES_NODE_NAME"] = "node-a" }), "sh", "-c", Faults.Counter);
}

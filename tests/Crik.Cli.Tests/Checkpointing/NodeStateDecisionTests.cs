using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>With a node-state server configured, SIGTERM checkpoints only when the node is going away.</summary>
public class NodeStateDecisionTests
{
    private const string Script = "trap 'echo app-got-term; exit 9' TERM; echo ready; while :; do sleep 0.1; done";

    [CriuFact]
    public void ShuttingDownNodeGivesACheckpoint()
    {
        using var server = new FakeNodeStateServer("shutting-down");
        using var pods = new Pods($"nodeStateServerURL: {server.Url}\n");
        using CrikRun run = Start(pods, "node-a");
        run.WaitForLine("ready");
        Pods.CheckpointAndStop(run);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.Equal("/v1/nodes/node-a", Assert.Single(server.Paths));
        Assert.Contains("node node-a is shutting down: taint:karpenter.sh/disrupted", run.WaitForLine("SIGTERM:", stderr: true), StringComparison.Ordinal);
        Assert.DoesNotContain("app-got-term", run.Stdout);
    }

    [CriuFact]
    public void AtRiskNodeGivesACheckpointOnSigterm()
    {
        using var server = new FakeNodeStateServer("at-risk");
        using var pods = new Pods($"nodeStateServerURL: {server.Url}\n");
        using CrikRun run = Start(pods, "node-c");
        run.WaitForLine("ready");
        Pods.CheckpointAndStop(run);
        Assert.Contains("node node-c is at risk: taint:karpenter.sh/disrupted", run.WaitForLine("SIGTERM:", stderr: true), StringComparison.Ordinal);
    }

    /// <summary>With periodic checkpoints on, a node that turns at-risk is checkpointed at once, once.</summary>
    [CriuFact]
    public void NodeTurningAtRiskIsCheckpointedAtOnceWhilePeriodicCheckpointsAreOn()
    {
        using var server = new FakeNodeStateServer("ready");
        using var pods = new Pods($"nodeStateServerURL: {server.Url}\ncheckpointInterval: 1h\nnodeStatePollInterval: 1s\n");
        using CrikRun run = Start(pods, "node-d");
        run.WaitForLine("ready");
        Poll.Until(() => server.Paths.Count >= 2, "crik to poll its node's state");
        Assert.Empty(pods.Committed());
        server.State = "at-risk";
        run.WaitForLine("Checkpoint 1 committed", stderr: true);
        Assert.Contains(run.Stderr, l => l.Contains("(the node is at risk; the app runs on)", StringComparison.Ordinal));
        int polls = server.Paths.Count;
        Poll.Until(() => server.Paths.Count >= polls + 2, "two more polls");
        Assert.Equal(["checkpoint-000001"], pods.Committed()); // once per at-risk spell, not at every poll
        Assert.DoesNotContain("app-got-term", run.Stdout);
        run.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// Polls the server cannot answer while the node stays at risk (the autoscaler's taint lasts minutes; the server may
    /// roll out meanwhile) neither end the spell nor start a new one: still one checkpoint. Before, a failed poll counted
    /// as "not at risk", and the next at-risk answer froze the app for another checkpoint.
    /// </summary>
    [CriuFact]
    public void PollsTheServerCannotAnswerDoNotEndAnAtRiskSpell()
    {
        using var server = new FakeNodeStateServer("at-risk");
        using var pods = new Pods($"nodeStateServerURL: {server.Url}\ncheckpointInterval: 1h\nnodeStatePollInterval: 1s\nnodeStateTimeout: 1s\n");
        using CrikRun run = CrikRun.Start(["run", "--log-level", "debug", "--config", pods.ConfigPath, "--", "sh", "-c", Script],
            environment: new Dictionary<string, string> { ["KUBERNETES_NODE_NAME"] = "node-e" });
        run.WaitForLine("Checkpoint 1 committed", stderr: true);
        server.State = FakeNodeStateServer.Failing;
        // Two whole polls that end without an answer (each retries within nodeStateTimeout, then says so at Debug).
        run.WaitForLine(_ => run.Stderr.Count(l => l.Contains("Polling the node's state:", StringComparison.Ordinal)) >= 2);
        server.State = "at-risk";
        // The loop asks again only once it has handled the poll before, checkpoint included: two answers mean one was handled.
        int polls = server.Paths.Count;
        Poll.Until(() => server.Paths.Count >= polls + 2, "two polls answered at risk");
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.DoesNotContain(run.Stderr, l => l.Contains("Checkpoint 2", StringComparison.Ordinal));
        run.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A SIGTERM that comes during a periodic checkpoint, while the early-warning poll finds the node turned at risk, is
    /// the next checkpoint: the at-risk one is not taken before it (the grace period runs). Before, the at-risk checkpoint
    /// ran in full first.
    /// </summary>
    [CriuFact]
    public void ASigtermDuringAPeriodicCheckpointGoesBeforeAnAtRiskOne()
    {
        // Questions wait unanswered until the periodic checkpoint is under way: the poll asking then is the one that hears "at risk".
        using var server = new FakeNodeStateServer("ready") { Holding = true };
        using var pods = new Pods($"nodeStateServerURL: {server.Url}\ncheckpointInterval: 2s\nnodeStatePollInterval: 1s\nnodeStateTimeout: 20s\n");
        using CrikRun run = pods.StartWith(new Dictionary<string, string>
        {
            ["KUBERNETES_NODE_NAME"] = "node-f",
            ["CRIK_TEST_COMMIT_PAUSE_MS"] = "3000",
        }, "sh", "-c", Script);
        run.WaitForLine("pausing 3000 ms at CRIK_TEST_COMMIT_PAUSE_MS", stderr: true);
        server.State = "at-risk";
        server.Holding = false;
        Poll.Until(() => !server.Paths.IsEmpty, "the poll to hear that the node is at risk");
        run.Signal(Native.SIGTERM);
        Assert.Equal(0, run.WaitForExit(TimeSpan.FromSeconds(60)));
        List<string> taken = [.. run.Stderr.Where(l => l.Contains("Checkpointing the app", StringComparison.Ordinal))];
        Assert.True(taken.Count == 2, run.Transcript);
        Assert.Contains("(checkpointInterval; the app runs on)", taken[0], StringComparison.Ordinal);
        Assert.DoesNotContain("at risk", taken[1], StringComparison.Ordinal);
        Assert.DoesNotContain("app-got-term", run.Stdout);
    }

    [CriuTheory]
    [InlineData("ready")]
    [InlineData("unknown")]
    public void NodeNotGoingAwayGivesTheAppSigtermAndNoCheckpoint(string state)
    {
        using var server = new FakeNodeStateServer(state);
        using var pods = new Pods($"nodeStateServerURL: {server.Url}\n");
        using CrikRun run = Start(pods, "node-b");
        AssertSigtermReachedTheAppWithoutACheckpoint(run, pods);
        Assert.Contains("not checkpointing", run.WaitForLine("SIGTERM:", stderr: true), StringComparison.Ordinal);
    }

    [CriuFact]
    public void UnreachableServerCheckpointsByDefault()
    {
        using var pods = new Pods($"nodeStateServerURL: http://127.0.0.1:{FreePort.Get()}\nnodeStateTimeout: 500ms\n");
        using CrikRun run = Start(pods, "node-c");
        run.WaitForLine("ready");
        Pods.CheckpointAndStop(run);
        Assert.Contains("onNodeStateError: checkpoint", run.WaitForLine("cannot tell whether the node is shutting down", stderr: true), StringComparison.Ordinal);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
    }

    [CriuFact]
    public void UnreachableServerWithSkipPolicyGivesTheAppSigterm()
    {
        using var pods = new Pods($"nodeStateServerURL: http://127.0.0.1:{FreePort.Get()}\nnodeStateTimeout: 500ms\nonNodeStateError: skip\n");
        using CrikRun run = Start(pods, "node-d");
        AssertSigtermReachedTheAppWithoutACheckpoint(run, pods);
        Assert.Contains("onNodeStateError: skip", run.WaitForLine("cannot tell whether the node is shutting down", stderr: true), StringComparison.Ordinal);
    }

    [CriuFact]
    public void MissingNodeNameFollowsThePolicyAndSaysWhy()
    {
        using var server = new FakeNodeStateServer("ready");
        using var pods = new Pods($"nodeStateServerURL: {server.Url}\nonNodeStateError: skip\n");
        using CrikRun run = Start(pods, nodeName: null);
        AssertSigtermReachedTheAppWithoutACheckpoint(run, pods);
        Assert.Contains("KUBERNETES_NODE_NAME is not set", run.WaitForLine("cannot tell", stderr: true), StringComparison.Ordinal);
        Assert.Empty(server.Paths);
    }

    private static void AssertSigtermReachedTheAppWithoutACheckpoint(CrikRun run, Pods pods)
    {
        run.WaitForLine("ready");
        pods.SigtermReachesTheAppWithoutACheckpoint(run, appExitCode: 9);
    }

    private static CrikRun Start(Pods pods, string? nodeName)
    {
        var environment = new Dictionary<string, string>();
        if (nodeName is not null)
        {
            environment["KUBERNETES_NODE_NAME"] = nodeName;
        }
        return CrikRun.Start(["run", "--config", pods.ConfigPath, "--", "sh", "-c", Script], environment: environment);
    }
}

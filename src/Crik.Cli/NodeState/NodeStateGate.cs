using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Guarding;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.NodeState;

/// <summary>
/// Asks the node-state server, on SIGTERM, whether crik's node is going away: only then is a
/// checkpoint worth taking. When the server cannot say, onNodeStateError decides.
/// </summary>
/// <remarks>
/// Every question runs under <see cref="Guard"/>. An exception nobody expected switches the client off
/// (<see cref="SwitchOff"/>): from then on crik asks nothing and answers every question as if the server
/// could not be reached. So a SIGTERM follows onNodeStateError, as the rules say for a server that
/// cannot answer, and neither skips a checkpoint they ask for nor takes one they do not.
/// </remarks>
internal sealed class NodeStateGate(Uri server, string? nodeName, CrikConfig config, NodeStateClient client, ILogger log) : INodeStateGate
{
    public const string NodeNameVariable = "KUBERNETES_NODE_NAME";

    /// <summary>The name of its work in the guard's and the fault seam's words.</summary>
    public const string ThreadName = "crik node state";

    private int _switchedOff;

    public async Task<bool?> IsAtRiskAsync(TimeSpan limit)
    {
        NodeStateAnswer answer = await AskAsync(limit).ConfigureAwait(false);
        switch (answer.Verdict)
        {
            case NodeVerdict.AtRisk or NodeVerdict.ShuttingDown:
                log.Information("{Detail}", answer.Detail);
                return true;
            case NodeVerdict.Error:
                log.Debug("Polling the node's state: {Detail}", answer.Detail);
                return null;
            default:
                return false;
        }
    }

    public async Task<bool> ShouldCheckpointAsync(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        NodeStateAnswer answer = await AskAsync(limit, config.NodeStateWait).ConfigureAwait(false);
        long ms = clock.ElapsedMilliseconds;
        switch (answer.Verdict)
        {
            case NodeVerdict.ShuttingDown or NodeVerdict.AtRisk:
                log.Information("SIGTERM: {Detail} (node-state server answered in {Ms} ms); checkpointing", answer.Detail, ms);
                return true;
            case NodeVerdict.Ready:
            case NodeVerdict.Unknown:
                log.Information(new Happening.CheckpointNotNeeded("the node-state server says this node is not going away, so the SIGTERM is the app's own end"),
                    "SIGTERM: {Detail} (node-state server answered in {Ms} ms{Held}); not checkpointing, the app gets SIGTERM", answer.Detail, ms, Held(answer));
                return false;
            default:
                bool checkpoint = CheckpointsWhenUnsure;
                Happening? notNeeded = checkpoint ? null
                    : new Happening.CheckpointNotNeeded($"crik cannot tell whether this node is going away ({answer.Detail}), and onNodeStateError: {Policy} takes no checkpoint then");
                log.Warning(notNeeded, "SIGTERM: cannot tell whether the node is shutting down: {Detail}; {Decision} (onNodeStateError: {Policy})",
                    answer.Detail, checkpoint ? "checkpointing anyway" : "not checkpointing, the app gets SIGTERM", Policy);
                return checkpoint;
        }
    }

    /// <summary>Why a "fine" answer took as long as it did.</summary>
    private static string Held(NodeStateAnswer answer) => answer.HoldAskedMs > 0
        ? $", having held the question up to {answer.HoldAskedMs} ms for news of a shutdown that came after the SIGTERM (nodeStateWait)"
        : "";

    private bool CheckpointsWhenUnsure => config.OnNodeStateError == NodeStateErrorPolicy.Checkpoint;

    private string Policy => config.OnNodeStateError.ToString().ToLowerInvariant();

    /// <summary>The server's answer within nodeStateTimeout (and <paramref name="limit"/>); an error once the client is switched off.</summary>
    private async Task<NodeStateAnswer> AskAsync(TimeSpan limit, TimeSpan wait = default)
    {
        NodeStateAnswer? answer = null;
        if (Volatile.Read(ref _switchedOff) == 0)
        {
            await Guard.RunAsync(ThreadName, async () =>
            {
                FaultSeam.Hit(ThreadName);
                answer = await client.AskAsync(server, nodeName, config.NodeStateTimeout < limit ? config.NodeStateTimeout : limit, wait).ConfigureAwait(false);
            }, SwitchOff).ConfigureAwait(false);
        }
        return answer ?? new NodeStateAnswer(NodeVerdict.Error, "crik's node-state client is switched off after a failure (see the warning above)");
    }

    /// <summary>What an exception nobody expected does: no more questions, and one warning that says what SIGTERM means now.</summary>
    private void SwitchOff(string name, Exception e)
    {
        if (Interlocked.Exchange(ref _switchedOff, 1) == 0)
        {
            log.Warning("crik's node-state client is switched off: crik no longer asks {Server}, so it hears no early warnings, and a SIGTERM is "
                + "decided as when the server cannot answer ({Decision}, onNodeStateError: {Policy}); the app goes on. Why: {Thread} failed unexpectedly: {Error}",
                new NodeStateUrl(server).Display, CheckpointsWhenUnsure ? "checkpointing anyway" : "not checkpointing", Policy, name, e.ToString());
        }
    }
}

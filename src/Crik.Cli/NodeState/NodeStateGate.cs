using System.Diagnostics;
using Crik.Cli.Configuration;
using Serilog;

namespace Crik.Cli.NodeState;

/// <summary>
/// Asks the node-state server, on SIGTERM, whether crik's node is going away: only then is a
/// checkpoint worth taking. When the server cannot say, onNodeStateError decides.
/// </summary>
internal sealed class NodeStateGate(Uri server, string? nodeName, CrikConfig config, NodeStateClient client, ILogger log) : INodeStateGate
{
    public const string NodeNameVariable = "KUBERNETES_NODE_NAME";

    public async Task<bool> IsAtRiskAsync(TimeSpan limit)
    {
        NodeStateAnswer answer = await client.AskAsync(server, nodeName, config.NodeStateTimeout < limit ? config.NodeStateTimeout : limit).ConfigureAwait(false);
        if (answer.Verdict is NodeVerdict.AtRisk or NodeVerdict.ShuttingDown)
        {
            log.Information("{Detail}", answer.Detail);
            return true;
        }
        if (answer.Verdict == NodeVerdict.Error)
        {
            log.Debug("Polling the node's state: {Detail}", answer.Detail);
        }
        return false;
    }

    public async Task<bool> ShouldCheckpointAsync(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        NodeStateAnswer answer = await client.AskAsync(server, nodeName, config.NodeStateTimeout < limit ? config.NodeStateTimeout : limit).ConfigureAwait(false);
        long ms = clock.ElapsedMilliseconds;
        switch (answer.Verdict)
        {
            case NodeVerdict.ShuttingDown or NodeVerdict.AtRisk:
                log.Information("SIGTERM: {Detail} (node-state server answered in {Ms} ms); checkpointing", answer.Detail, ms);
                return true;
            case NodeVerdict.Ready:
            case NodeVerdict.Unknown:
                log.Information("SIGTERM: {Detail} (node-state server answered in {Ms} ms); not checkpointing, the app gets SIGTERM", answer.Detail, ms);
                return false;
            default:
                bool checkpoint = config.OnNodeStateError == NodeStateErrorPolicy.Checkpoint;
                log.Warning("SIGTERM: cannot tell whether the node is shutting down: {Detail}; {Decision} (onNodeStateError: {Policy})",
                    answer.Detail, checkpoint ? "checkpointing anyway" : "not checkpointing, the app gets SIGTERM",
                    config.OnNodeStateError.ToString().ToLowerInvariant());
                return checkpoint;
        }
    }
}

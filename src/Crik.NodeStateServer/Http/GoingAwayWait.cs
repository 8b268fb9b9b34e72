using Crik.NodeStateServer.Rules;
using Crik.NodeStateServer.State;

namespace Crik.NodeStateServer.Http;

/// <summary>
/// A question that asks the server to hold its answer (<c>waitMs</c>): the node's entry as soon as it is shutting down or
/// at risk, or as it is when the hold ends. crik asks so at a SIGTERM, which kubelet's graceful node shutdown may send
/// before its update of the node's Ready condition reaches the server.
/// </summary>
internal static class GoingAwayWait
{
    /// <summary>
    /// The node's entry once it is going away, <paramref name="hold"/> has passed or the hold is <paramref name="released"/>;
    /// null where it is unknown then.
    /// </summary>
    /// <exception cref="OperationCanceledException">The client went away (<paramref name="aborted"/>).</exception>
    public static async Task<NodeEntry?> FindAsync(NodeStore store, string name, TimeSpan hold, CancellationToken released, CancellationToken aborted)
    {
        using var until = CancellationTokenSource.CreateLinkedTokenSource(aborted, released);
        until.CancelAfter(hold);
        while (true)
        {
            Task change = store.NextChange;
            NodeEntry? entry = store.Find(name);
            if (IsGoingAway(entry) || until.IsCancellationRequested)
            {
                aborted.ThrowIfCancellationRequested();
                return entry;
            }
            try
            {
                await change.WaitAsync(until.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
            {
            }
        }
    }

    public static bool IsGoingAway(NodeEntry? entry) => entry?.Evaluation.State is NodeState.ShuttingDown or NodeState.AtRisk;
}

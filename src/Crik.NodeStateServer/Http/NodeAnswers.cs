using System.Text.Json;
using Crik.NodeStateServer.Rules;
using Crik.NodeStateServer.State;
using Crik.Shared.NodeState;

namespace Crik.NodeStateServer.Http;

/// <summary>
/// The serialized answers of GET /v1/nodes/{name}. A known node's answer is serialized once per
/// <see cref="NodeEntry"/> and kept in it: entries are immutable and replaced when a node changes, so the bytes
/// stay valid for as long as the entry lives (in any snapshot) and go with it.
/// </summary>
internal static class NodeAnswers
{
    private static readonly Func<NodeEntry, byte[]> SerializeEntry =
        static e => Serialize(new NodeStateBody(e.Name, StateWord(e.Evaluation.State), e.Evaluation.Reasons));

    public static byte[] For(string name, NodeEntry? entry)
    {
        if (entry is null)
            return Serialize(new NodeStateBody(name, NodeStateContract.Unknown, []));
        return entry.Answer(SerializeEntry);
    }

    public static byte[] Error(string message) => Serialize(new NodeStateBody(Error: message));

    public static string StateWord(NodeState state) => state switch
    {
        NodeState.ShuttingDown => NodeStateContract.ShuttingDown,
        NodeState.AtRisk => NodeStateContract.AtRisk,
        _ => NodeStateContract.Ready,
    };

    private static byte[] Serialize(NodeStateBody body) =>
        JsonSerializer.SerializeToUtf8Bytes(body, NodeStateJsonContext.Default.NodeStateBody);
}

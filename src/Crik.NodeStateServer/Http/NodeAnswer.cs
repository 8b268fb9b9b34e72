using System.Text.Json;
using System.Text.Json.Serialization;
using Crik.NodeStateServer.Rules;

namespace Crik.NodeStateServer.Http;

/// <summary>The body of GET /v1/nodes/{name}.</summary>
internal sealed record NodeAnswer(string Name, string State, IReadOnlyList<string> Reasons)
{
    public const string UnknownState = "unknown";

    public static byte[] Serialize(string name, NodeEvaluation evaluation) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new NodeAnswer(name, NodeEvaluation.StateName(evaluation.State), evaluation.Reasons),
            ServerJsonContext.Default.NodeAnswer);

    public static byte[] SerializeUnknown(string name) =>
        JsonSerializer.SerializeToUtf8Bytes(new NodeAnswer(name, UnknownState, []), ServerJsonContext.Default.NodeAnswer);
}

internal sealed record ErrorAnswer(string Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(NodeAnswer))]
[JsonSerializable(typeof(ErrorAnswer))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;

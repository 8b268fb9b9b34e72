using System.Text.Json.Serialization;

namespace Crik.Cli.NodeState;

/// <summary>The node-state server's answer body: <c>{"name":..., "state":..., "reasons":[...]}</c>.</summary>
internal sealed class NodeStateBody
{
    public string? Name { get; set; }
    public string? State { get; set; }
    public List<string>? Reasons { get; set; }
    public string? Error { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(NodeStateBody))]
internal sealed partial class NodeStateJsonContext : JsonSerializerContext;

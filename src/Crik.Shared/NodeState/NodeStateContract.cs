// The node-state wire contract, compiled into both node-state-server (which answers) and crik (which asks),
// so the paths, the JSON property names and the state words are written down exactly once.
using System.Text.Json.Serialization;

namespace Crik.Shared.NodeState;

/// <summary>Paths and state words of the node-state HTTP API.</summary>
internal static class NodeStateContract
{
    /// <summary>The route the server maps; crik asks <see cref="PathOf"/>.</summary>
    public const string Route = "/v1/nodes/{name}";

    /// <summary>The path Go crik's client asks; answered the same way.</summary>
    public const string LegacyRoute = "/nodes/{name}";

    public const string NameRouteValue = "name";

    public const string ShuttingDown = "shutting-down";

    /// <summary>Signs that usually come before a shutdown (e.g. a scale-down candidate): checkpoint now, while there is time.</summary>
    public const string AtRisk = "at-risk";
    public const string Ready = "ready";
    public const string Unknown = "unknown";

    /// <summary>
    /// The query parameter that asks the server to hold the answer for up to this many milliseconds while the node is ready
    /// or unknown, and to answer as soon as it turns shutting-down or at-risk. kubelet's graceful node shutdown writes the
    /// node's Ready condition while it already stops the pods, so a pod's SIGTERM can come before the server hears of it.
    /// </summary>
    public const string WaitQuery = "waitMs";

    /// <summary>The longest hold a question may ask for.</summary>
    public const int MaxWaitMs = 10_000;

    /// <summary>The path of one node's answer, relative to the server's base path (no leading slash).</summary>
    public static string PathOf(string nodeName) => "v1/nodes/" + Uri.EscapeDataString(nodeName);
}

/// <summary>
/// The body of every node answer: <c>{"name":…,"state":…,"reasons":[…]}</c>, or <c>{"error":…}</c> for a
/// request the server rejects. Null properties are left out.
/// </summary>
internal sealed record NodeStateBody(
    [property: JsonPropertyName("name")] string? Name = null,
    [property: JsonPropertyName("state")] string? State = null,
    [property: JsonPropertyName("reasons")] IReadOnlyList<string>? Reasons = null,
    [property: JsonPropertyName("error")] string? Error = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NodeStateBody))]
internal sealed partial class NodeStateJsonContext : JsonSerializerContext;

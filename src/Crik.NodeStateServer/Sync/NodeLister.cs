using System.Diagnostics;
using System.Text.Json;
using Crik.NodeStateServer.Kubernetes;
using Crik.NodeStateServer.Logging;
using Crik.NodeStateServer.Observability;
using Crik.NodeStateServer.State;

namespace Crik.NodeStateServer.Sync;

/// <summary>
/// One full list of nodes, page by page. Each item is evaluated as soon as it is read, so only the verdicts are kept
/// until the list is complete, not the Node objects. Items that are not readable Nodes are skipped and counted; the names of
/// those that still carry one are kept, so the store keeps what it knew of them instead of taking them for deleted.
/// </summary>
internal sealed class NodeLister(NodeApi api, NodeStore store, ServerMetrics metrics, WatcherSettings settings, ILogger logger)
{
    public sealed record Result(List<NodeEntry> Nodes, HashSet<string> Unreadable, string ResourceVersion);

    public async Task<Result> ListAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var nodes = new List<NodeEntry>();
        var unreadable = new HashSet<string>(StringComparer.Ordinal);
        NodeListItemHandler onItem = (kind, json) =>
        {
            if (ReadNode(kind, json) is { } node && store.Evaluate(node) is { } entry)
                nodes.Add(entry);
            else if (kind == JsonValueKind.Object && NameIn(json) is { Length: > 0 } name)
                unreadable.Add(name);
        };
        string? resourceVersion = null;
        string? continueToken = null;
        var pages = 0;
        do
        {
            var page = await api.ListPageAsync(settings.PageSize, continueToken, onItem, cancellationToken).ConfigureAwait(false);
            pages++;
            // Every page of one list carries the same resourceVersion: the point the whole list describes.
            resourceVersion ??= page?.ResourceVersion;
            continueToken = page?.Continue;
        }
        while (!string.IsNullOrEmpty(continueToken));

        if (string.IsNullOrEmpty(resourceVersion))
            throw new JsonException("the node list carried no resourceVersion");
        Log.ListDone(logger, nodes.Count, clock.ElapsedMilliseconds, pages, resourceVersion);
        return new Result(nodes, unreadable, resourceVersion);
    }

    private KubeNode? ReadNode(JsonValueKind kind, ReadOnlySpan<byte> json)
    {
        string problem;
        try
        {
            if (kind == JsonValueKind.Object
                && JsonSerializer.Deserialize(json, KubeJsonContext.Default.KubeNode) is { Metadata.Name.Length: > 0 } node)
                return node;
            problem = kind == JsonValueKind.Object ? "a node without metadata.name" : $"a {kind} item instead of a node";
        }
        catch (JsonException e)
        {
            problem = e.Message;
        }
        metrics.BadItem(ServerMetrics.ListSource);
        Log.BadListItem(logger, problem);
        return null;
    }

    /// <summary>The item's metadata.name, where it has one as a string; null otherwise.</summary>
    private static string? NameIn(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var item = JsonDocument.ParseValue(ref reader);
            return item.RootElement.TryGetProperty("metadata"u8, out var metadata)
                && metadata.ValueKind == JsonValueKind.Object
                && metadata.TryGetProperty("name"u8, out var name)
                && name.ValueKind == JsonValueKind.String
                ? name.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

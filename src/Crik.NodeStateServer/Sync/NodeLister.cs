using System.Diagnostics;
using System.Text.Json;
using Crik.NodeStateServer.Kubernetes;
using Crik.NodeStateServer.Logging;
using Crik.NodeStateServer.Observability;

namespace Crik.NodeStateServer.Sync;

/// <summary>One full list of nodes, page by page. Items that are not readable Nodes are skipped and counted.</summary>
internal sealed class NodeLister(NodeApi api, ServerMetrics metrics, WatcherSettings settings, ILogger logger)
{
    public sealed record Result(List<KubeNode> Nodes, string ResourceVersion);

    public async Task<Result> ListAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var nodes = new List<KubeNode>();
        string? resourceVersion = null;
        string? continueToken = null;
        var pages = 0;
        do
        {
            var page = await api.ListPageAsync(settings.PageSize, continueToken, cancellationToken).ConfigureAwait(false);
            pages++;
            foreach (var item in page.Items ?? [])
            {
                if (ReadNode(item) is { } node)
                    nodes.Add(node);
            }
            // Every page of one list carries the same resourceVersion: the point the whole list describes.
            resourceVersion ??= page.Metadata?.ResourceVersion;
            continueToken = page.Metadata?.Continue;
        }
        while (!string.IsNullOrEmpty(continueToken));

        if (string.IsNullOrEmpty(resourceVersion))
            throw new JsonException("the node list carried no resourceVersion");
        Log.ListDone(logger, nodes.Count, clock.ElapsedMilliseconds, pages, resourceVersion);
        return new Result(nodes, resourceVersion);
    }

    private KubeNode? ReadNode(JsonElement item)
    {
        string problem;
        try
        {
            if (item.ValueKind == JsonValueKind.Object
                && item.Deserialize(KubeJsonContext.Default.KubeNode) is { Metadata.Name.Length: > 0 } node)
                return node;
            problem = item.ValueKind == JsonValueKind.Object ? "a node without metadata.name" : $"a {item.ValueKind} item instead of a node";
        }
        catch (JsonException e)
        {
            problem = e.Message;
        }
        metrics.BadItem(ServerMetrics.ListSource);
        Log.BadListItem(logger, problem);
        return null;
    }
}

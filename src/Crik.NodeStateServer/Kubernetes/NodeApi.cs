using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;

using Crik.Shared.Kubernetes;

namespace Crik.NodeStateServer.Kubernetes;

/// <summary>The two calls the server makes: list one page of Nodes, and watch Nodes from a resourceVersion.</summary>
internal sealed class NodeApi(KubeApiClient api)
{
    private readonly string _nodesUrl = api.UrlOf("/api/v1/nodes");

    public string NodesUrl => _nodesUrl;

    /// <summary>
    /// Lists one page of Nodes, handing each item to <paramref name="onItem"/> as it arrives; returns the page's
    /// metadata (resourceVersion, continue token).
    /// </summary>
    public async Task<KubeListMeta?> ListPageAsync(int limit, string? continueToken, NodeListItemHandler onItem, CancellationToken cancellationToken)
    {
        var url = $"{_nodesUrl}?limit={limit}";
        if (!string.IsNullOrEmpty(continueToken))
            url += "&continue=" + Uri.EscapeDataString(continueToken);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        using var response = await api.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        return await NodeListReader.ReadAsync(body, onItem, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Yields watch events until the API ends the stream. Throws <see cref="WatchAbandonedException"/> when the API does not
    /// answer the request (not even its headers) or no line (not even a bookmark) arrives for <paramref name="silenceLimit"/>,
    /// when a line grows past
    /// <see cref="WatchLineReader.MaxLineBytes"/>, or when a line is not a watch event.
    /// </summary>
    public async IAsyncEnumerable<KubeWatchEvent> WatchAsync(
        string resourceVersion, TimeSpan serverTimeout, TimeSpan silenceLimit,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var url = $"{_nodesUrl}?watch=1&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}"
            + $"&timeoutSeconds={(int)serverTimeout.TotalSeconds}";
        using var response = await AnsweredAsync(url, silenceLimit, cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var reader = new WatchLineReader(body);
        while (true)
        {
            using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            silence.CancelAfter(silenceLimit);
            ReadOnlyMemory<byte>? line;
            try
            {
                line = await reader.ReadLineAsync(silence.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new WatchAbandonedException($"no event or bookmark for {silenceLimit.TotalSeconds:0.#} s from {_nodesUrl}", badData: false);
            }
            if (line is not { } bytes)
                yield break;
            if (bytes.Span.Trim((byte)'\r').IsEmpty)
                continue;
            yield return ParseEvent(bytes.Span);
        }
    }

    /// <summary>The watch's answer, its headers read: a request that hangs before them (a proxy that took it and went quiet) is given up after <paramref name="silenceLimit"/>.</summary>
    private async Task<HttpResponseMessage> AnsweredAsync(string url, TimeSpan silenceLimit, CancellationToken cancellationToken)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silence.CancelAfter(silenceLimit);
        try
        {
            return await api.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, silence.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WatchAbandonedException($"no answer to the watch for {silenceLimit.TotalSeconds:0.#} s from {_nodesUrl}", badData: false);
        }
    }

    private static KubeWatchEvent ParseEvent(ReadOnlySpan<byte> line)
    {
        KubeWatchEvent? watchEvent;
        try
        {
            watchEvent = JsonSerializer.Deserialize(line, KubeJsonContext.Default.KubeWatchEvent);
        }
        catch (JsonException e)
        {
            throw new WatchAbandonedException($"a watch line is not JSON: {e.Message}", inner: e);
        }
        if (watchEvent is null || string.IsNullOrEmpty(watchEvent.Type))
            throw new WatchAbandonedException("a watch line is not an event (no type)");
        if (watchEvent.Object.ValueKind != JsonValueKind.Object)
            throw new WatchAbandonedException($"watch {watchEvent.Type} event without an object");
        return watchEvent;
    }

    public static KubeApiException ErrorEvent(KubeWatchEvent watchEvent, string url)
    {
        KubeStatus? status = null;
        try
        {
            status = watchEvent.Object.Deserialize(KubeStatusJsonContext.Default.KubeStatus);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
        }
        var code = status?.Code is > 0 and var c ? (HttpStatusCode)c : HttpStatusCode.InternalServerError;
        return new KubeApiException(code, url, "watch ERROR event: " + (status?.Message ?? watchEvent.Object.ToString()));
    }
}

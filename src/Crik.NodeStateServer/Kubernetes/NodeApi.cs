using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Crik.NodeStateServer.Kubernetes;

/// <summary>The two calls the server makes: list one page of Nodes, and watch Nodes from a resourceVersion.</summary>
internal sealed class NodeApi(HttpClient http, ClusterConnection connection)
{
    private readonly string _nodesUrl = connection.Server.AbsoluteUri.TrimEnd('/') + "/api/v1/nodes";

    public string NodesUrl => _nodesUrl;

    public async Task<KubeNodeList> ListPageAsync(int limit, string? continueToken, CancellationToken cancellationToken)
    {
        var url = $"{_nodesUrl}?limit={limit}";
        if (!string.IsNullOrEmpty(continueToken))
            url += "&continue=" + Uri.EscapeDataString(continueToken);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        using var response = await SendAsync(url, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync(body, KubeJsonContext.Default.KubeNodeList, timeout.Token).ConfigureAwait(false)
            ?? throw new JsonException($"empty node list from {url}");
    }

    /// <summary>
    /// Yields watch events until the API ends the stream. Throws <see cref="TimeoutException"/> when nothing
    /// (not even a bookmark) arrives for <paramref name="idleTimeout"/>, which catches silently dead connections.
    /// </summary>
    public async IAsyncEnumerable<KubeWatchEvent> WatchAsync(
        string resourceVersion, TimeSpan serverTimeout, TimeSpan idleTimeout, Action onConnected,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var url = $"{_nodesUrl}?watch=1&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}"
            + $"&timeoutSeconds={(int)serverTimeout.TotalSeconds}";
        using var response = await SendAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        onConnected();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(body);
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(idleTimeout);
            string? line;
            try
            {
                line = await reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no watch event for {idleTimeout.TotalSeconds:0}s from {_nodesUrl}");
            }
            if (line is null)
                yield break;
            if (line.Length == 0)
                continue;
            yield return JsonSerializer.Deserialize(line, KubeJsonContext.Default.KubeWatchEvent)
                ?? throw new JsonException("watch sent a null event");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string url, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (connection.Token is { } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Current());

        var response = await http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
            return response;
        using (response)
        {
            var message = await ReadErrorMessageAsync(response, cancellationToken).ConfigureAwait(false);
            throw new KubeApiException(response.StatusCode, url, message);
        }
    }

    private static async Task<string> ReadErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return response.ReasonPhrase ?? "no body";
        }
        try
        {
            if (JsonSerializer.Deserialize(text, KubeJsonContext.Default.KubeStatus)?.Message is { Length: > 0 } message)
                return message;
        }
        catch (JsonException)
        {
        }
        return text.Length == 0 ? response.ReasonPhrase ?? "no body" : text[..Math.Min(text.Length, 200)].ReplaceLineEndings(" ");
    }

    public static KubeApiException ErrorEvent(KubeWatchEvent watchEvent, string url)
    {
        KubeStatus? status = null;
        try
        {
            status = watchEvent.Object.Deserialize(KubeJsonContext.Default.KubeStatus);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
        }
        var code = status?.Code is > 0 and var c ? (HttpStatusCode)c : HttpStatusCode.InternalServerError;
        return new KubeApiException(code, url, "watch ERROR event: " + (status?.Message ?? watchEvent.Object.ToString()));
    }
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Crik.Shared.Kubernetes;

/// <summary>
/// Requests to the Kubernetes API over one HttpClient: the bearer token (re-read as it rotates) on each request,
/// and an error status turned into a <see cref="KubeApiException"/> that carries the API's own message.
/// </summary>
internal sealed class KubeApiClient(HttpClient http, ClusterConnection connection)
{
    public const string MergePatch = "application/merge-patch+json";

    public Uri Server => connection.Server;

    /// <summary>The absolute URL of an API path such as <c>/api/v1/nodes</c>.</summary>
    public string UrlOf(string path) => connection.Server.AbsoluteUri.TrimEnd('/') + path;

    public Task<HttpResponseMessage> GetAsync(string url, HttpCompletionOption completion, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, url, null, completion, cancellationToken);

    /// <summary>POSTs (or PATCHes, with <paramref name="contentType"/> <see cref="MergePatch"/>) a JSON body; the answer's body is not read.</summary>
    public async Task SendJsonAsync(HttpMethod method, string url, string json, string contentType, CancellationToken cancellationToken)
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await SendAsync(method, url, content, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GETs an object and reads it with a source-generated JSON type.</summary>
    public async Task<T?> GetJsonAsync<T>(string url, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, url, null, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync(body, type, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, HttpContent? content, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
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
            if (JsonSerializer.Deserialize(text, KubeStatusJsonContext.Default.KubeStatus)?.Message is { Length: > 0 } message)
                return message;
        }
        catch (JsonException)
        {
        }
        return text.Length == 0 ? response.ReasonPhrase ?? "no body" : text[..Math.Min(text.Length, 200)].ReplaceLineEndings(" ");
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(KubeStatus))]
internal sealed partial class KubeStatusJsonContext : JsonSerializerContext;

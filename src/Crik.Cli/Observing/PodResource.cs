using System.Text.Json;
using Crik.Shared.Kubernetes;

namespace Crik.Cli.Observing;

/// <summary>crik's Pod as the Kubernetes API knows it: where it and its Events are, and its uid, read from the API once.</summary>
internal sealed class PodResource(KubeApiClient api, PodIdentity identity)
{
    private string? _uid;

    public KubeApiClient Api => api;

    public PodIdentity Identity => identity;

    /// <summary>The Pod's metadata.uid; null until <see cref="ReadUidOnceAsync"/> read it.</summary>
    public string? Uid => _uid;

    public string PodUrl => api.UrlOf($"/api/v1/namespaces/{Uri.EscapeDataString(identity.Namespace)}/pods/{Uri.EscapeDataString(identity.Name)}");

    public string EventsUrl => api.UrlOf($"/api/v1/namespaces/{Uri.EscapeDataString(identity.Namespace)}/events");

    public async Task ReadUidOnceAsync(CancellationToken cancellationToken) =>
        _uid ??= await ReadUidAsync(cancellationToken).ConfigureAwait(false);

    private async Task<string> ReadUidAsync(CancellationToken cancellationToken)
    {
        using var response = await api.GetAsync(PodUrl, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using JsonDocument pod = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        return pod.RootElement.GetProperty("metadata").GetProperty("uid").GetString()
            ?? throw new JsonException($"the Pod {identity.Namespace}/{identity.Name} has no metadata.uid");
    }
}

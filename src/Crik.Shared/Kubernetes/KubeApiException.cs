using System.Net;

namespace Crik.Shared.Kubernetes;

/// <summary>The API answered a request with an error status (or a watch sent an ERROR event).</summary>
internal sealed class KubeApiException(HttpStatusCode status, string url, string message)
    : Exception($"{(int)status} {status} from {url}: {message}")
{
    public HttpStatusCode Status { get; } = status;
    public string Url { get; } = url;

    /// <summary>410: the resourceVersion or continue token is too old; only a fresh list helps.</summary>
    public bool IsGone => Status == HttpStatusCode.Gone;

    public bool IsAuthProblem => Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
}

namespace Crik.Shared.Kubernetes;

/// <summary>The API's error body (kind Status).</summary>
internal sealed class KubeStatus
{
    public int Code { get; set; }
    public string? Reason { get; set; }
    public string? Message { get; set; }
}

using System.Text.Json;

namespace Crik.NodeStateServer.Kubernetes;

// Only the Node fields the shutdown rules read; everything else in the API's JSON is skipped.

internal sealed class KubeNode
{
    public KubeObjectMeta? Metadata { get; set; }
    public KubeNodeSpec? Spec { get; set; }
    public KubeNodeStatus? Status { get; set; }
}

internal sealed class KubeObjectMeta
{
    public string? Name { get; set; }
    public string? ResourceVersion { get; set; }
    public string? DeletionTimestamp { get; set; }
}

internal sealed class KubeNodeSpec
{
    public bool? Unschedulable { get; set; }
    public List<KubeTaint>? Taints { get; set; }
}

internal sealed class KubeTaint
{
    public string? Key { get; set; }
    public string? Effect { get; set; }
}

internal sealed class KubeNodeStatus
{
    public List<KubeNodeCondition>? Conditions { get; set; }
}

internal sealed class KubeNodeCondition
{
    public string? Type { get; set; }
    public string? Status { get; set; }
    public string? Reason { get; set; }
    public string? Message { get; set; }
}

/// <summary>The metadata of one page of a list. Its items are read one by one (<see cref="NodeListReader"/>).</summary>
internal sealed class KubeListMeta
{
    public string? ResourceVersion { get; set; }
    public string? Continue { get; set; }
}

/// <summary>One line of a watch stream. The object is a Node, or a Status for ERROR events.</summary>
internal sealed class KubeWatchEvent
{
    public string? Type { get; set; }
    public JsonElement Object { get; set; }
}

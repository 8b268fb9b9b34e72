using System.Text.Json.Nodes;

namespace Crik.NodeStateServer.Tests.FakeApi;

/// <summary>Builds and edits Node objects as the API would serve them (JSON), including fields the server must ignore.</summary>
internal static class FakeNode
{
    public static JsonObject Create(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["uid"] = Guid.NewGuid().ToString(),
            ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = name },
        },
        ["spec"] = new JsonObject { ["podCIDR"] = "10.0.0.0/24" },
        ["status"] = new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")),
        },
    };

    public static void AddTaint(JsonObject node, string key, string effect = "NoSchedule")
    {
        var spec = node["spec"]!.AsObject();
        if (spec["taints"] is not JsonArray taints)
            spec["taints"] = taints = [];
        taints.Add((JsonNode)new JsonObject { ["key"] = key, ["effect"] = effect });
    }

    public static void RemoveTaints(JsonObject node) => node["spec"]!.AsObject().Remove("taints");

    public static void SetReady(JsonObject node, string status, string reason, string message)
    {
        var conditions = node["status"]!["conditions"]!.AsArray();
        foreach (var condition in conditions)
        {
            if ((string?)condition!["type"] == "Ready")
            {
                condition["status"] = status;
                condition["reason"] = reason;
                condition["message"] = message;
            }
        }
    }

    public static void SetUnschedulable(JsonObject node, bool value) => node["spec"]!["unschedulable"] = value;

    public static void SetDeletionTimestamp(JsonObject node, bool value)
    {
        var metadata = node["metadata"]!.AsObject();
        if (value)
            metadata["deletionTimestamp"] = "2026-11-21T10:00:00Z";
        else
            metadata.Remove("deletionTimestamp");
    }

    private static JsonObject Condition(string type, string status, string reason, string message) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["reason"] = reason,
        ["message"] = message,
        ["lastHeartbeatTime"] = "2026-11-21T09:00:00Z",
    };
}

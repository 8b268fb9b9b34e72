using System.Text.Json.Serialization;

namespace Crik.NodeStateServer.Kubernetes;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(KubeNode))]
[JsonSerializable(typeof(KubeListMeta))]
[JsonSerializable(typeof(KubeWatchEvent))]
internal sealed partial class KubeJsonContext : JsonSerializerContext;

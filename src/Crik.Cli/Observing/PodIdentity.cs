using Crik.Shared.Kubernetes;

namespace Crik.Cli.Observing;

/// <summary>
/// Which Pod crik runs in, found without configuration: the name is the hostname and the namespace the service
/// account's, unless the downward API's POD_NAME and POD_NAMESPACE say otherwise. Its uid comes from the API later.
/// </summary>
internal sealed record PodIdentity(string Name, string Namespace, string? Node)
{
    public const string NameVariable = "POD_NAME";
    public const string NamespaceVariable = "POD_NAMESPACE";

    public static PodIdentity Find(Func<string, string?> env, string accountDirectory = InClusterConfig.DefaultAccountDirectory)
    {
        string name = env(NameVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : Environment.MachineName;
        string ns = env(NamespaceVariable) is { Length: > 0 } namespaceFromEnvironment ? namespaceFromEnvironment
            : AccountNamespace(accountDirectory) ?? "default";
        return new PodIdentity(name, ns, env(NodeState.NodeStateGate.NodeNameVariable) is { Length: > 0 } node ? node : null);
    }

    private static string? AccountNamespace(string accountDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(accountDirectory, "namespace")).Trim() is { Length: > 0 } ns ? ns : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

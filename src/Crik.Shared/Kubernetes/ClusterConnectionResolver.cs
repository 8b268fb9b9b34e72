namespace Crik.Shared.Kubernetes;

/// <summary>Picks the configuration source in kubectl's order: --kubeconfig, then $KUBECONFIG, then in-cluster.</summary>
internal static class ClusterConnectionResolver
{
    public static ClusterConnection Resolve(string? kubeconfigFlag, Func<string, string?> env)
    {
        if (!string.IsNullOrEmpty(kubeconfigFlag))
            return KubeConfigFile.Load(kubeconfigFlag);
        if (env("KUBECONFIG") is { Length: > 0 } fromEnvironment)
            return KubeConfigFile.Load(fromEnvironment);
        return InClusterConfig.Load(env);
    }
}

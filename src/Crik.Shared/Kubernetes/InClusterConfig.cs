using System.Security.Cryptography.X509Certificates;

namespace Crik.Shared.Kubernetes;

/// <summary>The pod's service account: API address from the environment, token and CA from the mounted secret.</summary>
internal static class InClusterConfig
{
    public const string DefaultAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static bool IsAvailable(Func<string, string?> env) =>
        !string.IsNullOrEmpty(env("KUBERNETES_SERVICE_HOST")) && !string.IsNullOrEmpty(env("KUBERNETES_SERVICE_PORT"));

    public static ClusterConnection Load(Func<string, string?> env, string accountDirectory = DefaultAccountDirectory)
    {
        var host = env("KUBERNETES_SERVICE_HOST");
        var port = env("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
            throw new KubeConfigException("no --kubeconfig given, KUBECONFIG is not set, and KUBERNETES_SERVICE_HOST/PORT are not set (not running in a cluster)");

        // An IPv6 service address needs brackets in a URL.
        var authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
        if (!Uri.TryCreate($"https://{authority}", UriKind.Absolute, out var server))
            throw new KubeConfigException($"KUBERNETES_SERVICE_HOST/PORT do not form a URL: {authority}");

        var caPath = Path.Combine(accountDirectory, "ca.crt");
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new KubeConfigException($"cannot read the service account CA {caPath}: {e.Message}", e);
        }

        var token = BearerToken.FromFile(Path.Combine(accountDirectory, "token"));
        return new ClusterConnection(server, authorities, false, null, token, "in-cluster service account");
    }
}

using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Crik.NodeStateServer.Kubernetes;

/// <summary>Builds the one HttpClient used for the API: TLS trust from the configured CA, optional client certificate.</summary>
internal static class KubeHttpClientFactory
{
    public static HttpClient Create(ClusterConnection connection)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = System.Net.DecompressionMethods.GZip,
        };
        if (connection.ClientCertificate is { } certificate)
            handler.SslOptions.ClientCertificates = [certificate];
        if (connection.InsecureSkipTlsVerify)
        {
            // The kubeconfig explicitly asks for insecure-skip-tls-verify; honour it as kubectl does.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (connection.CertificateAuthorities.Count > 0)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                TrustedByConfiguredAuthority(cert, errors, connection.CertificateAuthorities);

        // Watches stay open for minutes; each request carries its own cancellation instead.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private static bool TrustedByConfiguredAuthority(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        // The host name must still match; only the chain may end at the kubeconfig's CA instead of the system store.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            return false;

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}

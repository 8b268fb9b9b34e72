using System.Security.Cryptography.X509Certificates;

namespace Crik.Shared.Kubernetes;

/// <summary>Where the Kubernetes API is and how to authenticate to it, whichever way it was configured.</summary>
internal sealed record ClusterConnection(
    Uri Server,
    X509Certificate2Collection CertificateAuthorities,
    bool InsecureSkipTlsVerify,
    X509Certificate2? ClientCertificate,
    BearerToken? Token,
    string Source)
{
    /// <summary>How requests authenticate, for the start-up log line (never the secret itself).</summary>
    public string Credentials => (ClientCertificate, Token) switch
    {
        (not null, not null) => "client certificate and bearer token",
        (not null, null) => "client certificate",
        (null, not null) => "bearer token",
        _ => "no credentials",
    };
}

internal sealed class KubeConfigException(string message, Exception? inner = null) : Exception(message, inner);

using System.Security.Cryptography.X509Certificates;

namespace Crik.NodeStateServer.Kubernetes;

/// <summary>Where the Kubernetes API is and how to authenticate to it, whichever way it was configured.</summary>
internal sealed record ClusterConnection(
    Uri Server,
    X509Certificate2Collection CertificateAuthorities,
    bool InsecureSkipTlsVerify,
    X509Certificate2? ClientCertificate,
    BearerToken? Token,
    string Source);

internal sealed class KubeConfigException(string message, Exception? inner = null) : Exception(message, inner);

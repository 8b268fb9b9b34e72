using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Crik.TestSupport;

/// <summary>The kubeconfig a stand-in API server is reached with: its server, its self-signed CA, and a bearer token.</summary>
public static class Kubeconfig
{
    /// <param name="context">The current context's name, which node-state-server's start line shows.</param>
    public static string For(Uri server, X509Certificate2 authority, string token, string context = "stand-in")
    {
        string ca = Convert.ToBase64String(Encoding.UTF8.GetBytes(authority.ExportCertificatePem()));
        return $"""
            apiVersion: v1
            kind: Config
            current-context: {context}
            clusters:
            - name: stand-in
              cluster:
                server: {server.AbsoluteUri.TrimEnd('/')}
                certificate-authority-data: {ca}
            contexts:
            - name: {context}
              context:
                cluster: stand-in
                user: stand-in-user
            users:
            - name: stand-in-user
              user:
                token: {token}
            """;
    }
}

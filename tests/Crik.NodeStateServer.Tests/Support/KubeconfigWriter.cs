using System.Text;
using Crik.NodeStateServer.Tests.FakeApi;
using Crik.TestSupport;

namespace Crik.NodeStateServer.Tests.Support;

internal static class KubeconfigWriter
{
    /// <summary>A kubeconfig that trusts the fake API's self-signed certificate and sends its token.</summary>
    public static string For(FakeKubeApi api, string token = FakeKubeApi.Token)
    {
        var ca = Convert.ToBase64String(Encoding.UTF8.GetBytes(SelfSignedCertificate.ToPem(api.Certificate)));
        return $"""
            apiVersion: v1
            kind: Config
            current-context: fake
            clusters:
            - name: fake-cluster
              cluster:
                server: {api.Url.AbsoluteUri.TrimEnd('/')}
                certificate-authority-data: {ca}
            contexts:
            - name: fake
              context:
                cluster: fake-cluster
                user: fake-user
            users:
            - name: fake-user
              user:
                token: {token}
            """;
    }
}

using Crik.NodeStateServer.Tests.FakeApi;
using Crik.TestSupport;

namespace Crik.NodeStateServer.Tests.Support;

internal static class KubeconfigWriter
{
    /// <summary>A kubeconfig that trusts the fake API's self-signed certificate and sends its token.</summary>
    public static string For(FakeKubeApi api, string token = FakeKubeApi.Token) => Kubeconfig.For(api.Url, api.Certificate, token, context: "fake");
}

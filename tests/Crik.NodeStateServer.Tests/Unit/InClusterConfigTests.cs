using Crik.Shared.Kubernetes;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class InClusterConfigTests
{
    [Fact]
    public void ServiceAccountFilesAndEnvironmentMakeTheConnection()
    {
        using var dir = new TempDirectory();
        using var ca = SelfSignedCertificate.Create();
        dir.Write("ca.crt", ca.ExportCertificatePem());
        dir.Write("token", "sa-token\n");
        var env = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "fd00::1", ["KUBERNETES_SERVICE_PORT"] = "443" };

        Assert.True(InClusterConfig.IsAvailable(env.GetValueOrDefault));
        var connection = InClusterConfig.Load(env.GetValueOrDefault, dir.Path);
        Assert.Equal(new Uri("https://[fd00::1]:443"), connection.Server);
        Assert.Single(connection.CertificateAuthorities);
        Assert.Equal("sa-token", connection.Token!.Current());
    }

    [Fact]
    public void OutsideAClusterTheErrorSaysSo()
    {
        var error = Assert.Throws<KubeConfigException>(() => ClusterConnectionResolver.Resolve(null, _ => null));
        Assert.Contains("not running in a cluster", error.Message, StringComparison.Ordinal);
    }
}

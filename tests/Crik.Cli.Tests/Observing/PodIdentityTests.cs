using Crik.Cli.Observing;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Observing;

[Trait("Category", "Unit")]
public sealed class PodIdentityTests
{
    [Fact]
    public void InAClusterThePodIsTheHostnameInTheServiceAccountsNamespace()
    {
        using var account = new TempDirectory();
        account.Write("namespace", "shop\n");
        PodIdentity pod = PodIdentity.Find(_ => null, account.Path);
        Assert.Equal(new PodIdentity(Environment.MachineName, "shop", null), pod);
    }

    [Fact]
    public void TheDownwardApisVariablesWin()
    {
        using var account = new TempDirectory();
        account.Write("namespace", "shop");
        var env = new Dictionary<string, string> { ["POD_NAME"] = "web-0", ["POD_NAMESPACE"] = "prod", ["KUBERNETES_NODE_NAME"] = "node-a" };
        Assert.Equal(new PodIdentity("web-0", "prod", "node-a"), PodIdentity.Find(env.GetValueOrDefault, account.Path));
    }

    [Fact]
    public void WithoutANamespaceFileItIsTheDefaultNamespace() =>
        Assert.Equal("default", PodIdentity.Find(_ => null, "/nonexistent-account").Namespace);
}

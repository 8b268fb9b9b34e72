using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Crik.Shared.Kubernetes;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class KubeConfigFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Config(string cluster, string user, string currentContext = "ctx") => $"""
        apiVersion: v1
        kind: Config
        current-context: {currentContext}
        contexts:
        - name: other
          context: {"{"}cluster: nowhere, user: nobody{"}"}
        - name: ctx
          context:
            cluster: c1
            user: u1
        clusters:
        - name: c1
          cluster:
        {cluster}
        users:
        - name: u1
          user:
        {user}
        """;

    [Fact]
    public void TokenAndInlineCertificateAuthorityAreRead()
    {
        using var ca = SelfSignedCertificate.Create();
        var path = _dir.Write("config", Config(
            $"    server: https://10.0.0.1:6443\n    certificate-authority-data: {B64(ca.ExportCertificatePem())}",
            "    token: abc.def"));

        var connection = KubeConfigFile.Load(path);
        Assert.Equal(new Uri("https://10.0.0.1:6443"), connection.Server);
        Assert.Equal(ca.Thumbprint, Assert.Single(connection.CertificateAuthorities).Thumbprint);
        Assert.False(connection.InsecureSkipTlsVerify);
        Assert.Equal("abc.def", connection.Token!.Current());
        Assert.Null(connection.ClientCertificate);
        Assert.Contains("context ctx", connection.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void RelativeFilePathsResolveAgainstTheKubeconfigDirectory()
    {
        using var ca = SelfSignedCertificate.Create();
        _dir.Write("ca.pem", ca.ExportCertificatePem());
        _dir.Write("token.txt", "from-file\n");
        var path = _dir.Write("config", Config(
            "    server: https://api.example:443\n    certificate-authority: ca.pem",
            "    tokenFile: token.txt"));

        var connection = KubeConfigFile.Load(path);
        Assert.Single(connection.CertificateAuthorities);
        Assert.Equal("from-file", connection.Token!.Current());
    }

    [Fact]
    public void ClientCertificateAndKeyBecomeOneCertificateWithPrivateKey()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=admin", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _dir.Write("client.key", key.ExportPkcs8PrivateKeyPem());
        var path = _dir.Write("config", Config(
            "    server: https://api.example\n    insecure-skip-tls-verify: true",
            $"    client-certificate-data: {B64(cert.ExportCertificatePem())}\n    client-key: client.key"));

        var connection = KubeConfigFile.Load(path);
        Assert.True(connection.InsecureSkipTlsVerify);
        Assert.NotNull(connection.ClientCertificate);
        Assert.True(connection.ClientCertificate.HasPrivateKey);
        Assert.Equal(cert.Thumbprint, connection.ClientCertificate.Thumbprint);
        Assert.Null(connection.Token);
    }

    [Fact]
    public void SeveralFilesMergeWithTheFirstWinning()
    {
        var first = _dir.Write("first", "current-context: ctx\nusers:\n- name: u1\n  user: {token: first-token}\n");
        var second = _dir.Write("second", Config("    server: https://second.example", "    token: second-token", currentContext: "other"));

        var connection = KubeConfigFile.Load(first + Path.PathSeparator + second);
        Assert.Equal(new Uri("https://second.example"), connection.Server);
        Assert.Equal("first-token", connection.Token!.Current());
    }

    [Theory]
    [InlineData("    server: https://x", "    token: t", "missing", "context 'missing' is not defined")]
    [InlineData("    server: not a url", "    token: t", "ctx", "has no valid https server URL")]
    [InlineData("    server: https://x\n    certificate-authority-data: '%%%'", "    token: t", "ctx", "is not valid base64")]
    [InlineData("    server: https://x\n    certificate-authority: missing.pem", "    token: t", "ctx", "cannot read cluster 'c1' certificate authority file")]
    [InlineData("    server: https://x", "    exec: {command: aws}", "ctx", "exec/auth-provider")]
    [InlineData("    server: https://x", "    client-certificate-data: aGVsbG8=", "ctx", "needs both a client certificate and a client key")]
    [InlineData("    server: https://x", "    token: t", "", "current-context is not set")]
    public void MistakesAreOneClearMessage(string cluster, string user, string context, string expected)
    {
        var path = _dir.Write("config", Config(cluster, user, context));
        var error = Assert.Throws<KubeConfigException>(() => KubeConfigFile.Load(path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    public void Dispose() => _dir.Dispose();
}

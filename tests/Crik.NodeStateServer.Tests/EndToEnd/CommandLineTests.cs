using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>Bad flags and files: one clear stderr line and exit code 2, never a stack trace.</summary>
public sealed class CommandLineTests
{
    public static TheoryData<string[], string> BadFlags() => new()
    {
        { ["--port", "70000"], "--port must be a number" },
        { ["--port"], "flag --port needs a value" },
        { ["--log-level", "loud"], "--log-level must be" },
        { ["--log-format=xml"], "--log-format must be text or json" },
        { ["--bind", "localhost:80"], "--bind must be an IP address" },
        { ["--frobnicate", "1"], "unknown flag --frobnicate" },
        { ["serve"], "unexpected argument 'serve'" },
        { ["--kubeconfig", "/nonexistent/kubeconfig"], "cannot read kubeconfig /nonexistent/kubeconfig" },
        { ["--config", "/nonexistent/rules.yaml"], "cannot read rules file /nonexistent/rules.yaml" },
        { [], "not running in a cluster" },
    };

    [Theory]
    [MemberData(nameof(BadFlags))]
    public async Task BadFlagExitsWithCode2AndOneErrorLine(string[] args, string expected)
    {
        var (exitCode, stdout, stderr) = await ServerProcess.RunAsync(args);
        Assert.Equal(2, exitCode);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("node-state-server: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unschedulable: maybe\n", "'unschedulable' must be true or false")]
    [InlineData("shutdownTaint: [a]\n", "unknown key 'shutdownTaint'")]
    [InlineData("shutdownTaints: {a: b}\n", "'shutdownTaints' must be a list")]
    [InlineData("shutdownTaints: [a\n", "not valid YAML or JSON")]
    public async Task BadRulesFileExitsWithCode2NamingTheProblem(string rules, string expected)
    {
        using var directory = new TempDirectory();
        var path = directory.Write("rules.yaml", rules);
        var (exitCode, _, stderr) = await ServerProcess.RunAsync("--config", path, "--kubeconfig", "/unused");
        Assert.Equal(2, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(path, line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortInUseExitsWithCode1AndOneLineWithoutStackTrace()
    {
        using var occupant = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((System.Net.IPEndPoint)occupant.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var api = await FakeApi.FakeKubeApi.StartAsync();
        using var directory = new TempDirectory();
        var kubeconfig = directory.Write("kubeconfig", KubeconfigWriter.For(api));

        var (exitCode, stdout, stderr) = await ServerProcess.RunAsync("--bind", "127.0.0.1", "--port", port, "--kubeconfig", kubeconfig);
        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"cannot serve on 127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("address already in use", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpListsEveryFlagAndExitsZero()
    {
        var (exitCode, stdout, _) = await ServerProcess.RunAsync("--help");
        Assert.Equal(0, exitCode);
        foreach (var flag in new[] { "--port", "--bind", "--kubeconfig", "--config", "--log-level", "--log-format", "--max-backoff-seconds", "--watch-silence-seconds", "--max-connections" })
            Assert.Contains(flag, stdout, StringComparison.Ordinal);
    }
}

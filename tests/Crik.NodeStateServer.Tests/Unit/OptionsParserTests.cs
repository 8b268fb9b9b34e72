using System.Net;
using Crik.NodeStateServer.Cli;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class OptionsParserTests
{
    [Fact]
    public void DefaultsMatchTheDocumentation()
    {
        var options = OptionsParser.Parse([]);
        Assert.Equal(9376, options.Port);
        Assert.Equal(IPAddress.Any, options.Bind);
        Assert.Null(options.KubeconfigPath);
        Assert.Null(options.RulesPath);
        Assert.Equal(LogLevel.Information, options.LogLevel);
        Assert.Equal(LogFormat.Text, options.LogFormat);
    }

    [Fact]
    public void BothFlagSpellingsAreAccepted()
    {
        var options = OptionsParser.Parse(["--port=8080", "--bind", "127.0.0.1", "--kubeconfig", "/k", "--config=/r.yaml",
            "--log-level", "debug", "--log-format=json", "--max-backoff-seconds", "2.5", "--watch-silence-seconds", "90",
            "--max-connections=50"]);
        Assert.Equal(8080, options.Port);
        Assert.Equal(IPAddress.Loopback, options.Bind);
        Assert.Equal("/k", options.KubeconfigPath);
        Assert.Equal("/r.yaml", options.RulesPath);
        Assert.Equal(LogLevel.Debug, options.LogLevel);
        Assert.Equal(LogFormat.Json, options.LogFormat);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.MaxBackoff);
        Assert.Equal(TimeSpan.FromSeconds(90), options.WatchSilence);
        Assert.Equal(50, options.MaxConnections);
    }

    [Theory]
    [InlineData("--port", "-1")]
    [InlineData("--port", "65536")]
    [InlineData("--log-level", "trace")]
    [InlineData("--max-backoff-seconds", "0")]
    [InlineData("--kubeconfig", "")]
    [InlineData("--watch-silence-seconds", "0")]
    [InlineData("--max-connections", "0")]
    [InlineData("--max-connections", "many")]
    public void BadValuesAreUsageErrors(string flag, string value)
    {
        Assert.Throws<UsageException>(() => OptionsParser.Parse([flag, value]));
    }
}

using System.Net;
using Crik.Cli.Configuration;
using Xunit;

namespace Crik.Cli.Tests.Observing;

[Trait("Category", "Unit")]
public sealed class MetricsAddressTests
{
    [Theory]
    [InlineData("0.0.0.0:9400", "0.0.0.0:9400")]
    [InlineData(":9400", "0.0.0.0:9400")]
    [InlineData("127.0.0.1:19400", "127.0.0.1:19400")]
    [InlineData("\"[::]:9400\"", "[::]:9400")]
    public void AnAddressAndPortIsWhereMetricsAreServed(string value, string expected)
    {
        var (config, warnings) = ConfigLoader.Parse($"imageDir: /data\nmetricsAddress: {value}\n", "c.yaml");
        Assert.Empty(warnings);
        Assert.Equal(IPEndPoint.Parse(expected), config.MetricsAddress);
    }

    [Fact]
    public void OffByDefault() => Assert.Null(ConfigLoader.Parse("imageDir: /data\n", "c.yaml").Config.MetricsAddress);

    [Theory]
    [InlineData("9400")]
    [InlineData("localhost:9400")]
    [InlineData("0.0.0.0")]
    [InlineData("0.0.0.0:99999")]
    [InlineData("http://0.0.0.0:9400")]
    public void AnythingElseIsOneLineNamingTheKeyAndAnExample(string value)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"metricsAddress: \"{value}\"\n", "c.yaml"));
        Assert.Contains("metricsAddress", e.Message, StringComparison.Ordinal);
        Assert.Contains("e.g. 0.0.0.0:9400", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}

using Crik.NodeStateServer.Http;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class NodeNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("node-1")]
    [InlineData("ip-10-0-1-23.eu-west-1.compute.internal")]
    [InlineData("gke-pool-1-abc123-xyz")]
    [InlineData("1node")]
    public void DnsSubdomainsAreValid(string name) => Assert.True(NodeName.IsValid(name));

    [Theory]
    [InlineData("")]
    [InlineData("Node")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a.-b")]
    [InlineData("a..b")]
    [InlineData("a.")]
    [InlineData("a_b")]
    [InlineData("a b")]
    [InlineData("ünicode")]
    public void OtherNamesAreInvalid(string name) => Assert.False(NodeName.IsValid(name));

    [Fact]
    public void LengthLimitIs253()
    {
        Assert.True(NodeName.IsValid(new string('a', 253)));
        Assert.False(NodeName.IsValid(new string('a', 254)));
    }
}

using Crik.Shared.Kubernetes;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class BearerTokenTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void RotatedTokenFileIsPickedUpAfterTheRefreshInterval()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("token", "first");
        var clock = new ManualClock();
        var token = BearerToken.FromFile(path, clock);

        dir.Write("token", "second");
        clock.Now += BearerToken.RefreshInterval / 2;
        Assert.Equal("first", token.Current());

        clock.Now += BearerToken.RefreshInterval;
        Assert.Equal("second", token.Current());
    }

    [Fact]
    public void VanishedTokenFileKeepsTheLastGoodToken()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("token", "kept");
        var clock = new ManualClock();
        var token = BearerToken.FromFile(path, clock);

        File.Delete(path);
        clock.Now += BearerToken.RefreshInterval * 2;
        Assert.Equal("kept", token.Current());
    }
}

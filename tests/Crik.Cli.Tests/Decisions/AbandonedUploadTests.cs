using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

[Trait("Category", "Unit")]
public sealed class AbandonedUploadTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnUploadOlderThanAnHourIsDropped() => Assert.True(AbandonedUpload.IsDropped(Now.AddMinutes(-61), Now));

    [Fact]
    public void AnUploadAnHourOldOrYoungerIsKept()
    {
        Assert.False(AbandonedUpload.IsDropped(Now.AddHours(-1), Now));
        Assert.False(AbandonedUpload.IsDropped(Now.AddMinutes(-5), Now));
        Assert.False(AbandonedUpload.IsDropped(Now.AddMinutes(1), Now)); // a store whose clock is ahead
    }
}

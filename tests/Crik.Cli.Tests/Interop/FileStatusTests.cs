using Crik.Cli.Interop;
using Xunit;

namespace Crik.Cli.Tests.Interop;

/// <summary>File times outside what DateTimeOffset holds (a file system can store them) are clamped, never thrown.</summary>
[Trait("Category", "Unit")]
public class FileStatusTests
{
    [Fact]
    public void TimesBeyondYear9999AreClamped() =>
        Assert.Equal(DateTimeOffset.MaxValue.ToUnixTimeSeconds() - 1, FileStatus.Timestamp(long.MaxValue, 999_999_999).ToUnixTimeSeconds());

    [Fact]
    public void TimesBeforeYear1AreClamped() =>
        Assert.Equal(DateTimeOffset.MinValue, FileStatus.Timestamp(long.MinValue, 0));

    [Fact]
    public void OrdinaryTimesKeepTheirNanosecondsTo100() =>
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1234567), FileStatus.Timestamp(1_700_000_000, 123_456_789));
}

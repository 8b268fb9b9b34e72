using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

public sealed class WriteTrackingChoiceTests
{
    [Theory]
    [InlineData("auto", true, null)]
    [InlineData("auto", false, "crik is not PID 1 of its PID namespace")]
    [InlineData("on", true, null)]
    [InlineData("on", false, null)]
    [InlineData("off", true, "trackWrites is off")]
    [InlineData("off", false, "trackWrites is off")]
    public void CrikTracksByDefaultOnlyWhereItsDeathTakesTheAppWithIt(string mode, bool crikIsInit, string? why)
    {
        string? whyNot = WriteTrackingChoice.WhyNot(Enum.Parse<WriteTrackingMode>(mode, ignoreCase: true), crikIsInit);
        if (why is null)
        {
            Assert.Null(whyNot);
        }
        else
        {
            Assert.Contains(why, whyNot, StringComparison.Ordinal);
        }
    }
}

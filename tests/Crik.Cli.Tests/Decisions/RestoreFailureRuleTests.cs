using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>onRestoreFailure: whether the app starts fresh after its checkpoint could not be restored.</summary>
[Trait("Category", "Unit")]
public sealed class RestoreFailureRuleTests
{
    [Fact]
    public void ByDefaultTheAppStartsFresh() =>
        Assert.Equal(AfterRestoreFailure.StartFresh, RestoreFailure.Decide(CrikConfig.Default.OnRestoreFailure));

    [Fact]
    public void WithFailNothingStarts() =>
        Assert.Equal(AfterRestoreFailure.StartNothing, RestoreFailure.Decide(RestoreFailurePolicy.Fail));
}

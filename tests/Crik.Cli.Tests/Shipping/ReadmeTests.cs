using Crik.Cli.Configuration;
using Crik.Cli.Supervision;
using Crik.Cli.Tests.Support;
using Xunit;

namespace Crik.Cli.Tests.Shipping;

/// <summary>The README documents everything crik accepts.</summary>
public class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "README.md"));

    public static TheoryData<string> Keys() => new(ConfigKeys.All);

    [Theory]
    [MemberData(nameof(Keys))]
    public void EveryConfigurationKeyHasARowInTheReference(string key) =>
        Assert.Contains($"| `{key}`", Readme, StringComparison.Ordinal);

    [Theory]
    [InlineData("--config")]
    [InlineData("--log-level")]
    [InlineData("--log-format")]
    [InlineData("CRIK_CONFIG")]
    [InlineData("KUBERNETES_NODE_NAME")]
    public void EveryFlagAndVariableIsDocumented(string name) =>
        Assert.Contains($"`{name}", Readme, StringComparison.Ordinal);

    [Theory]
    [InlineData(ExitCodes.Checkpointed)]
    [InlineData(ExitCodes.UsageError)]
    [InlineData(ExitCodes.CrikFailure)]
    [InlineData(ExitCodes.CommandNotExecutable)]
    [InlineData(ExitCodes.CommandNotFound)]
    public void EveryExitCodeCrikChoosesIsDocumented(int code) =>
        Assert.Contains($"| {code} |", Readme, StringComparison.Ordinal);

    [Fact]
    public void StartsWithTheDemoAndTestCommands()
    {
        string[] lines = Readme.Split('\n');
        Assert.Contains("scripts/demo.sh", lines[3], StringComparison.Ordinal);
        Assert.Contains("scripts/test.sh", lines[4], StringComparison.Ordinal);
        Assert.Contains("scripts/test.sh", File.ReadAllText(Path.Combine(Paths.RepositoryRoot, ".ci", "run")), StringComparison.Ordinal);
    }
}

using Crik.Cli.Configuration;
using Crik.Cli.Supervision;
using Crik.TestSupport;
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
        // The first fenced block, before any other section, holds the two commands.
        string top = Readme[..Readme.IndexOf("\n## ", StringComparison.Ordinal)];
        string firstBlock = top.Split("```")[1];
        Assert.Contains("sudo bash scripts/demo.sh", firstBlock, StringComparison.Ordinal);
        Assert.Contains("sudo bash scripts/test.sh", firstBlock, StringComparison.Ordinal);
        Assert.Contains("scripts/test.sh", File.ReadAllText(Path.Combine(Paths.RepositoryRoot, ".ci", "run")), StringComparison.Ordinal);
    }
}

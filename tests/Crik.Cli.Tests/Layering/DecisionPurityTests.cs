using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Layering;

/// <summary>
/// Decisions/ is pure: given what the store holds and what happened, it returns what to do. Checked as
/// an allowlist (<see cref="PureCode"/>) on the compiled code, and on the source for the folders it names.
/// </summary>
[Trait("Category", "Unit")]
public sealed class DecisionPurityTests
{
    /// <summary>The folders a rule's source may name: <see cref="PureCode.Folders"/>, and Logging for its pure <c>Size.Format</c>.</summary>
    private static readonly string[] SourceFolders = [.. PureCode.Folders, "Logging"];

    [Fact]
    public void EveryRuleUsesOnlyPureValuesAndPureCode()
    {
        List<string> found = PureCode.Impurities(typeof(Retirement).Assembly).ToList();
        Assert.True(found.Count == 0, "Decisions/ must stay pure (see PureCode for what a rule may use):\n" + string.Join("\n", found));
    }

    [Fact]
    public void DecisionsNameOnlyTheModelConfigurationAndThemselves()
    {
        var found = LayeringTests.SourceFiles().Where(f => f.Folder == "Decisions")
            .SelectMany(f => LayeringTests.References(File.ReadAllText(Path.Combine(LayeringTests.SourceRoot, f.Path)))
                .Where(r => !SourceFolders.Contains(r)).Select(r => $"{f.Path} -> {r}"))
            .ToList();
        Assert.True(found.Count == 0, "Decisions/ may use only " + string.Join(", ", SourceFolders) + ":\n" + string.Join("\n", found));
    }
}

using Crik.NodeStateServer.Rules;
using Crik.Shared.Yaml;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class RulesFileParsingTests
{
    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("{}")]
    public void EmptyFileMeansDefaultRules(string text)
    {
        Assert.Equal(ShutdownRules.Default, RulesFile.Parse(text, "rules.yaml"));
    }

    [Fact]
    public void YamlFileSetsEveryRule()
    {
        var rules = RulesFile.Parse("""
            shutdownTaints:
              - example.com/a
              - example.com/b
            atRiskTaints: [example.com/soon]
            readyConditionMessages: ["going down"]
            deletionTimestamp: false
            unschedulable: true
            """, "rules.yaml");
        Assert.Equal(["example.com/a", "example.com/b"], rules.ShutdownTaints.ToArray());
        Assert.Equal(["example.com/soon"], rules.AtRiskTaints.ToArray());
        Assert.Equal(["going down"], rules.ReadyConditionMessages.ToArray());
        Assert.False(rules.DeletionTimestamp);
        Assert.True(rules.Unschedulable);
    }

    [Fact]
    public void JsonFileIsReadToo()
    {
        var rules = RulesFile.Parse("""{"unschedulable": true, "shutdownTaints": []}""", "rules.json");
        Assert.True(rules.Unschedulable);
        Assert.Empty(rules.ShutdownTaints);
        Assert.Equal(ShutdownRules.DefaultReadyConditionMessages.ToArray(), rules.ReadyConditionMessages.ToArray());
    }

    [Theory]
    [InlineData("unschedulable: yes-please", "'unschedulable' must be true or false")]
    [InlineData("readyConditionMessage: [x]", "unknown key 'readyConditionMessage'")]
    [InlineData("shutdownTaints: [\"\"]", "every entry of 'shutdownTaints' must be a non-empty string")]
    [InlineData("shutdownTaints: x", "'shutdownTaints' must be a list")]
    [InlineData("atRiskTaints: [\"\"]", "every entry of 'atRiskTaints' must be a non-empty string")]
    [InlineData("- a\n- b", "the top level must be a mapping")]
    [InlineData("a: [", "not valid YAML or JSON")]
    public void MistakesAreReportedWithTheFileName(string text, string expected)
    {
        var error = Assert.Throws<YamlFileException>(() => RulesFile.Parse(text, "my-rules.yaml"));
        Assert.StartsWith("my-rules.yaml", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}

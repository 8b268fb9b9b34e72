using System.Collections.Immutable;
using Crik.Shared.Yaml;
using YamlDotNet.RepresentationModel;

namespace Crik.NodeStateServer.Rules;

/// <summary>
/// Loads the rules file (YAML or JSON). Keys left out keep their defaults; unknown keys are an error,
/// because a typo would otherwise silently switch a rule back to its default. Shape: see README-rules.md.
/// </summary>
internal static class RulesFile
{
    private static readonly string[] KnownKeys = ["shutdownTaints", "atRiskTaints", "readyConditionMessages", "deletionTimestamp", "unschedulable"];

    public static ShutdownRules Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new YamlFileException($"cannot read rules file {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    public static ShutdownRules Parse(string text, string source)
    {
        var root = YamlFile.LoadRoot(text, source);
        if (root is null)
            return ShutdownRules.Default;

        var unknown = YamlFile.Keys(root).FirstOrDefault(k => !KnownKeys.Contains(k, StringComparer.Ordinal));
        if (unknown is not null)
            throw new YamlFileException($"{source}: unknown key '{unknown}' (known: {string.Join(", ", KnownKeys)})");

        var rules = ShutdownRules.Default;
        if (root.Children.ContainsKey(new YamlScalarNode("shutdownTaints")))
            rules = rules with { ShutdownTaints = Strings(root, "shutdownTaints", source) };
        if (root.Children.ContainsKey(new YamlScalarNode("atRiskTaints")))
            rules = rules with { AtRiskTaints = Strings(root, "atRiskTaints", source) };
        if (root.Children.ContainsKey(new YamlScalarNode("readyConditionMessages")))
            rules = rules with { ReadyConditionMessages = Strings(root, "readyConditionMessages", source) };
        if (YamlFile.Bool(root, "deletionTimestamp", source) is { } deletion)
            rules = rules with { DeletionTimestamp = deletion };
        if (YamlFile.Bool(root, "unschedulable", source) is { } unschedulable)
            rules = rules with { Unschedulable = unschedulable };
        return rules;
    }

    private static ImmutableArray<string> Strings(YamlMappingNode root, string key, string source) =>
        [.. YamlFile.Sequence(root, key, source).Select(node => node is YamlScalarNode { Value: { Length: > 0 } value }
            ? value
            : throw new YamlFileException($"{source}: every entry of '{key}' must be a non-empty string"))];
}

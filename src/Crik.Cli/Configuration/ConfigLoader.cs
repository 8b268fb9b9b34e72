using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Crik.Cli.Configuration;

/// <summary>A loaded configuration, where it came from, and the warnings worth showing.</summary>
internal sealed record LoadedConfig(CrikConfig Config, string? Path, IReadOnlyList<string> Warnings);

/// <summary>
/// Finds and reads crik's YAML configuration into a validated <see cref="CrikConfig"/>.
/// Errors name the file, line and key; unknown keys are warnings.
/// </summary>
internal static partial class ConfigLoader
{
    public const string DefaultPath = "/etc/crik/config.yaml";
    public const string PathVariable = "CRIK_CONFIG";

    /// <summary>
    /// Loads --config, else $CRIK_CONFIG, else the default path. A missing file at the default path
    /// means "no checkpointing"; a missing file that was named is an error.
    /// </summary>
    public static LoadedConfig Load(string? explicitPath)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(PathVariable);
        string path = explicitPath ?? (string.IsNullOrEmpty(fromEnvironment) ? DefaultPath : fromEnvironment);
        bool named = explicitPath is not null || !string.IsNullOrEmpty(fromEnvironment);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (!named)
            {
                return new LoadedConfig(CrikConfig.Default, null, []);
            }
            string origin = explicitPath is not null ? "--config" : PathVariable;
            throw new ConfigException($"{path}: configuration file not found (named by {origin}); fix the path or remove {origin}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read the configuration file: {e.Message}", e);
        }
        var (config, warnings) = Parse(text, path);
        return new LoadedConfig(config, path, warnings);
    }

    /// <summary>Parses and validates configuration text; <paramref name="file"/> names it in messages.</summary>
    public static (CrikConfig Config, IReadOnlyList<string> Warnings) Parse(string text, string file)
    {
        YamlNode? root = ReadRoot(text, file);
        var warnings = new List<string>();
        if (root is null || root is YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            return (CrikConfig.Default, warnings);
        }
        if (root is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{file}:{Line(root)}: the configuration must be a mapping of keys to values, e.g. \"imageDir: /var/lib/crik\"");
        }

        var reader = new ConfigValueReader(file);
        CrikConfig config = CrikConfig.Default;
        foreach (var (keyNode, value) in mapping.Children)
        {
            string key = ((keyNode as YamlScalarNode)?.Value) ?? "";
            config = key switch
            {
                ConfigKeys.ImageDir => config with { ImageDir = reader.AbsolutePath(key, value) },
                ConfigKeys.NodeStateServerUrl => config with { NodeStateServerUrl = reader.HttpUrl(key, value) },
                ConfigKeys.AdditionalPaths => config with { AdditionalPaths = reader.AbsolutePaths(key, value) },
                ConfigKeys.InotifyIncompatiblePaths => config with { InotifyIncompatiblePaths = reader.AbsolutePaths(key, value) },
                ConfigKeys.KeepCheckpoints => config with { KeepCheckpoints = reader.PositiveInteger(key, value) ?? config.KeepCheckpoints },
                ConfigKeys.CheckpointTimeout => config with { CheckpointTimeout = reader.Duration(key, value) ?? config.CheckpointTimeout },
                ConfigKeys.OnRestoreFailure => config with { OnRestoreFailure = reader.Choice(key, value, config.OnRestoreFailure) },
                ConfigKeys.NodeStateTimeout => config with { NodeStateTimeout = reader.Duration(key, value) ?? config.NodeStateTimeout },
                ConfigKeys.OnNodeStateError => config with { OnNodeStateError = reader.Choice(key, value, config.OnNodeStateError) },
                _ => Unknown(config, key, keyNode, file, warnings),
            };
        }
        return (config, warnings);
    }

    private static YamlNode? ReadRoot(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{file}:{e.Start.Line}: invalid YAML: {YamlProblem(e)}", e);
        }
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    private static string YamlProblem(YamlException e)
    {
        // YamlDotNet prefixes its messages with "(Line: 1, Col: 2, Idx: 3) - (...): ".
        string message = MarkPrefix().Replace(e.Message, "");
        return (e.InnerException is { } inner ? $"{message} {MarkPrefix().Replace(inner.Message, "")}" : message).Trim();
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    private static CrikConfig Unknown(CrikConfig config, string key, YamlNode node, string file, List<string> warnings)
    {
        string? suggestion = ConfigKeys.All.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase))
            ?? ConfigKeys.All.FirstOrDefault(k => EditDistance(k.ToLowerInvariant(), key.ToLowerInvariant()) <= 2);
        string hint = suggestion is null ? $"known keys: {string.Join(", ", ConfigKeys.All)}" : $"did you mean \"{suggestion}\"?";
        warnings.Add($"{file}:{Line(node)}: unknown key \"{key}\" is ignored ({hint})");
        return config;
    }

    internal static int Line(YamlNode node) => (int)node.Start.Line;

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}

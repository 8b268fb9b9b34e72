using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Crik.Shared.Yaml;

/// <summary>
/// Reads YAML (and therefore JSON) through YamlDotNet's representation model, which needs no reflection.
/// Problems become <see cref="YamlFileException"/> naming the file and the offending key.
/// </summary>
internal static class YamlFile
{
    public static YamlMappingNode? LoadRoot(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new YamlFileException($"{source}: not valid YAML or JSON at line {e.Start.Line}: {e.Message}", e);
        }
        if (stream.Documents.Count == 0)
            return null;
        return stream.Documents[0].RootNode switch
        {
            YamlMappingNode map => map,
            YamlScalarNode { Value: null or "" or "~" or "null" } => null,
            _ => throw new YamlFileException($"{source}: the top level must be a mapping"),
        };
    }

    public static string? String(YamlMappingNode map, string key, string source) =>
        Child(map, key) switch
        {
            null => null,
            YamlScalarNode scalar => IsNull(scalar) ? null : scalar.Value,
            _ => throw new YamlFileException($"{source}: '{key}' must be a string"),
        };

    public static bool? Bool(YamlMappingNode map, string key, string source) =>
        String(map, key, source) switch
        {
            null => null,
            var s when bool.TryParse(s, out var b) => b,
            var s => throw new YamlFileException($"{source}: '{key}' must be true or false, got '{s}'"),
        };

    public static YamlMappingNode? Mapping(YamlMappingNode map, string key, string source) =>
        Child(map, key) switch
        {
            null => null,
            YamlScalarNode scalar when IsNull(scalar) => null,
            YamlMappingNode child => child,
            _ => throw new YamlFileException($"{source}: '{key}' must be a mapping"),
        };

    public static IEnumerable<YamlNode> Sequence(YamlMappingNode map, string key, string source) =>
        Child(map, key) switch
        {
            null => [],
            YamlScalarNode scalar when IsNull(scalar) => [],
            YamlSequenceNode seq => seq.Children,
            _ => throw new YamlFileException($"{source}: '{key}' must be a list"),
        };

    public static IEnumerable<string> Keys(YamlMappingNode map) =>
        map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "");

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null";
}

internal sealed class YamlFileException(string message, Exception? inner = null) : Exception(message, inner);

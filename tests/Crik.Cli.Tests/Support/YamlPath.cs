using YamlDotNet.RepresentationModel;

namespace Crik.Cli.Tests.Support;

/// <summary>Reading a YAML document by a path of keys, for tests of the examples and the alerts.</summary>
internal static class YamlPath
{
    public static string? Scalar(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    public static YamlNode? Node(YamlNode node, params string[] path)
    {
        foreach (string key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? next))
            {
                return null;
            }
            node = next;
        }
        return node;
    }
}

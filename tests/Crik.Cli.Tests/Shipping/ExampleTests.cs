using Crik.Cli.Configuration;
using Crik.TestSupport;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Crik.Cli.Tests.Shipping;

/// <summary>The Kubernetes examples parse, and their crik configuration loads with crik's own loader.</summary>
public class ExampleTests
{
    public static TheoryData<string> Examples() =>
        new(Directory.GetFiles(Path.Combine(Paths.RepositoryRoot, "examples"), "*.yaml").Select(Path.GetFileName).OfType<string>());

    [Theory]
    [MemberData(nameof(Examples))]
    public void ExampleConfigMapLoadsWithoutErrorsOrWarnings(string example)
    {
        var configs = Documents(example).Where(d => Scalar(d, "kind") == "ConfigMap")
            .Select(d => Scalar(d, "data", "config.yaml")).OfType<string>().ToList();
        Assert.NotEmpty(configs);
        foreach (string config in configs)
        {
            var (loaded, warnings) = ConfigLoader.Parse(config, example);
            Assert.Empty(warnings);
            Assert.True(loaded.CheckpointingEnabled);
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void ExampleStatesItsPrivilegesAndMountsNsLastPid(string example)
    {
        string text = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "examples", example));
        Assert.Contains("Privileges:", text, StringComparison.Ordinal);
        Assert.Contains("securityContext:", text, StringComparison.Ordinal);
        Assert.Contains("/proc/sys/kernel/ns_last_pid", text, StringComparison.Ordinal);
        Assert.Contains("KUBERNETES_NODE_NAME", text, StringComparison.Ordinal);
    }

    private static List<YamlMappingNode> Documents(string example)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "examples", example))));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static string? Scalar(YamlNode node, params string[] path)
    {
        foreach (string key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? next))
            {
                return null;
            }
            node = next;
        }
        return (node as YamlScalarNode)?.Value;
    }
}

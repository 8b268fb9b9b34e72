using Crik.Cli.Configuration;
using Crik.TestSupport;
using Crik.Cli.Tests.Support;
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
        var configs = Documents(example).Where(d => YamlPath.Scalar(d, "kind") == "ConfigMap")
            .Select(d => YamlPath.Scalar(d, "data", "config.yaml")).OfType<string>().ToList();
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
    public void ExampleStatesItsPrivilegesAndPassesTheNodeName(string example)
    {
        string text = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "examples", example));
        Assert.Contains("Privileges:", text, StringComparison.Ordinal);
        Assert.Contains("KUBERNETES_NODE_NAME", text, StringComparison.Ordinal);
    }

    private static readonly string[] HostNamespaces = ["hostNetwork", "hostPID", "hostIPC"];

    /// <summary>
    /// What Pod Security "baseline" accepts, but for the two added capabilities: nothing privileged,
    /// no hostPath, no host namespaces, seccomp not set to Unconfined.
    /// </summary>
    [Theory]
    [MemberData(nameof(Examples))]
    public void ExampleIsLeastPrivileged(string example)
    {
        foreach (YamlMappingNode pod in Documents(example).Select(PodSpec).OfType<YamlMappingNode>())
        {
            Assert.All(HostNamespaces, key => Assert.Null(YamlPath.Scalar(pod, key)));
            Assert.DoesNotContain("hostPath", Yaml(pod), StringComparison.Ordinal);
            Assert.DoesNotContain("Unconfined", Yaml(pod), StringComparison.Ordinal);
            var containers = (YamlSequenceNode)pod.Children[new YamlScalarNode("containers")];
            foreach (YamlMappingNode container in containers.Children.OfType<YamlMappingNode>())
            {
                Assert.Null(YamlPath.Scalar(container, "securityContext", "privileged"));
                var added = (YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)container.Children[new YamlScalarNode("securityContext")])
                    .Children[new YamlScalarNode("capabilities")]).Children[new YamlScalarNode("add")];
                Assert.Equal(["CHECKPOINT_RESTORE", "SYS_PTRACE"], added.Children.Select(c => ((YamlScalarNode)c).Value));
            }
        }
    }

    /// <summary>The pod spec of a StatefulSet, Deployment or Job (spec.template.spec), or null for other kinds.</summary>
    private static YamlNode? PodSpec(YamlMappingNode document) =>
        YamlPath.Scalar(document, "kind") is "StatefulSet" or "Deployment" or "Job" ? YamlPath.Node(document, "spec", "template", "spec") : null;

    private static string Yaml(YamlNode node)
    {
        var stream = new YamlStream(new YamlDocument(node));
        var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static List<YamlMappingNode> Documents(string example)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "examples", example))));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }
}

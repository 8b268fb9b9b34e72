using Crik.Cli.Configuration;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Crik.Cli.Tests.Shipping;

/// <summary>
/// examples/jupyterhub: the Zero to JupyterHub values give each user's server what crik needs (the two capabilities,
/// crik's configuration, the node name, time to checkpoint), and crik's configuration loads with crik's own loader.
/// </summary>
[Trait("Category", "Unit")]
public class JupyterHubExampleTests
{
    private static readonly string Example = Path.Combine(Paths.RepositoryRoot, "examples", "jupyterhub");

    [Fact]
    public void CriksConfigurationLoadsAndKeepsCheckpointsOnTheUsersOwnVolume()
    {
        CrikConfig crik = CrikConfiguration();
        string home = YamlPath.Scalar(Values(), "singleuser", "storage", "homeMountPath")!;
        Assert.StartsWith(home + "/", crik.ImageDir, StringComparison.Ordinal);
        Assert.NotNull(crik.NodeStateServerUrl);
    }

    [Fact]
    public void TheHubGivesCrikTimeToCheckpointBeforeItKillsThePod()
    {
        // KubeSpawner's own default is 1 s.
        int grace = int.Parse(YamlPath.Scalar(Values(), "hub", "config", "KubeSpawner", "delete_grace_period")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(TimeSpan.FromSeconds(grace) > CrikConfiguration().CheckpointBudget, $"delete_grace_period {grace} s");
    }

    [Fact]
    public void EachServerRunsCrikAsRootWithTheTwoCapabilitiesItsConfigurationAndTheNodeName()
    {
        YamlMappingNode values = Values();
        Assert.Equal("0", YamlPath.Scalar(values, "singleuser", "uid"));
        var added = (YamlSequenceNode)YamlPath.Node(values, "singleuser", "extraContainerConfig", "securityContext", "capabilities", "add")!;
        Assert.Equal(["CHECKPOINT_RESTORE", "SYS_PTRACE"], added.Children.Select(c => ((YamlScalarNode)c).Value));
        Assert.Null(YamlPath.Node(values, "singleuser", "extraContainerConfig", "securityContext", "privileged"));
        Assert.NotNull(YamlPath.Node(values, "singleuser", "extraEnv", "KUBERNETES_NODE_NAME"));

        var volumes = (YamlSequenceNode)YamlPath.Node(values, "singleuser", "storage", "extraVolumes")!;
        YamlNode config = Assert.Single(volumes.Children, v => YamlPath.Scalar(v, "configMap", "name") == ConfigMap().Name);
        var mounts = (YamlSequenceNode)YamlPath.Node(values, "singleuser", "storage", "extraVolumeMounts")!;
        Assert.Contains(mounts.Children, m => YamlPath.Scalar(m, "name") == YamlPath.Scalar(config, "name") && YamlPath.Scalar(m, "mountPath") == "/etc/crik");
    }

    [Fact]
    public void TheImageRunsTheNotebookServerUnderCrikAsTheUser()
    {
        string dockerfile = File.ReadAllText(Path.Combine(Example, "Dockerfile"));
        Assert.Contains("ENTRYPOINT [\"crik\", \"run\", \"--\", \"setpriv\", \"--reuid=1000\"", dockerfile, StringComparison.Ordinal);
        Assert.Contains("jupyterhub-singleuser", dockerfile, StringComparison.Ordinal);
    }

    /// <summary>The handover of the hub's token (JupyterHubTests runs it with a real hub): crik runs it, and the image has its module and extension.</summary>
    [Fact]
    public void EachRestoreHandsTheServerItsNewHubTokenThroughTheImagesExtension()
    {
        Assert.Equal(["python3", "-m", "crik_jupyterhub"], CrikConfiguration().AfterRestore);
        string dockerfile = File.ReadAllText(Path.Combine(Example, "Dockerfile"));
        Assert.Contains("COPY crik_jupyterhub.py /opt/crik-jupyterhub/", dockerfile, StringComparison.Ordinal);
        Assert.Contains("PYTHONPATH=/opt/crik-jupyterhub", dockerfile, StringComparison.Ordinal);
        Assert.Contains("COPY jupyter-config/ /etc/jupyter/", dockerfile, StringComparison.Ordinal);
        foreach ((string file, string key) in new[] { ("jupyter_server_config.d", "jpserver_extensions"), ("jupyter_notebook_config.d", "nbserver_extensions") })
        {
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Example, "jupyter-config", file, "crik_jupyterhub.json")))!;
            Assert.True(config.AsObject().Single().Value![key]!["crik_jupyterhub"]!.GetValue<bool>(), file);
        }
    }

    private static CrikConfig CrikConfiguration()
    {
        (CrikConfig config, IReadOnlyList<string> warnings) = ConfigLoader.Parse(ConfigMap().Config, "examples/jupyterhub/crik.yaml");
        Assert.Empty(warnings);
        return config;
    }

    private static (string Name, string Config) ConfigMap()
    {
        YamlMappingNode map = Load("crik.yaml");
        return (YamlPath.Scalar(map, "metadata", "name")!, YamlPath.Scalar(map, "data", "config.yaml")!);
    }

    private static YamlMappingNode Values() => Load("config.yaml");

    private static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Example, file))));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }
}

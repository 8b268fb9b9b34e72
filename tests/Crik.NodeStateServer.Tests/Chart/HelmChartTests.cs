using System.Text.RegularExpressions;
using Crik.NodeStateServer.Rules;
using Crik.TestSupport;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Crik.NodeStateServer.Tests.Chart;

/// <summary>Checks the Helm chart without helm: the YAML files parse, and templates only use values that exist.</summary>
[Trait("Category", "Unit")]
public sealed partial class HelmChartTests
{
    private static string ChartFile(string name) => Path.Combine(Paths.Chart, name);

    private static YamlMappingNode LoadMapping(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return Assert.IsType<YamlMappingNode>(stream.Documents[0].RootNode);
    }

    private static string AllTemplates() => string.Join("\n",
        Directory.GetFiles(Path.Combine(Paths.Chart, "templates")).Order(StringComparer.Ordinal).Select(File.ReadAllText));

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z0-9_]+)+)")]
    private static partial Regex ValuesReference();

    /// <summary>Every <c>.Values.a.b</c> in the text whose path does not exist in the values.</summary>
    internal static List<string> MissingValueReferences(string templates, YamlMappingNode values) =>
        [.. ValuesReference().Matches(templates)
            .Select(m => m.Groups[1].Value.TrimStart('.'))
            .Distinct(StringComparer.Ordinal)
            .Where(path => !Exists(values, path.Split('.')))];

    private static bool Exists(YamlMappingNode values, string[] path)
    {
        YamlNode node = values;
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child))
                return false;
            node = child;
        }
        return true;
    }

    [Fact]
    public void ChartYamlNamesAVersionedV2Chart()
    {
        var chart = LoadMapping(ChartFile("Chart.yaml"));
        Assert.Equal("v2", chart["apiVersion"].ToString());
        Assert.Equal("node-state-server", chart["name"].ToString());
        Assert.Matches(@"^\d+\.\d+\.\d+$", chart["version"].ToString());
        Assert.Matches(@"^\d+\.\d+\.\d+$", chart["appVersion"].ToString());
    }

    [Fact]
    public void EveryValueTheTemplatesUseIsDefinedInValuesYaml()
    {
        var values = LoadMapping(ChartFile("values.yaml"));
        var templates = AllTemplates();
        Assert.True(ValuesReference().Count(templates) > 10, "the templates should reference values");
        Assert.Empty(MissingValueReferences(templates, values));
    }

    [Fact]
    public void ReferenceCheckCatchesAMissingValue()
    {
        var values = LoadMapping(ChartFile("values.yaml"));
        Assert.Equal(["image.digest", "nope"], MissingValueReferences("{{ .Values.image.digest }} {{ .Values.nope }} {{ .Values.image.tag }}", values));
    }

    [Fact]
    public void ChartDefaultRulesAreTheServersBuiltInDefaults()
    {
        var rulesNode = LoadMapping(ChartFile("values.yaml"))["rules"];
        var document = new YamlStream(new YamlDocument(rulesNode));
        using var text = new StringWriter();
        document.Save(text, assignAnchors: false);

        var rules = RulesFile.Parse(text.ToString(), "values.yaml rules");
        Assert.Equal(ShutdownRules.DefaultShutdownTaints.ToArray(), rules.ShutdownTaints.ToArray());
        Assert.Equal(ShutdownRules.DefaultAtRiskTaints.ToArray(), rules.AtRiskTaints.ToArray());
        Assert.Equal(ShutdownRules.DefaultReadyConditionMessages.ToArray(), rules.ReadyConditionMessages.ToArray());
        Assert.True(rules.DeletionTimestamp);
        Assert.False(rules.Unschedulable);
    }

    [Fact]
    public void TemplatesDeclareEveryObjectCrikNeeds()
    {
        var templates = AllTemplates();
        foreach (var kind in new[] { "Deployment", "Service", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "PodDisruptionBudget" })
            Assert.Matches($"(?m)^kind: {kind}$", templates);
        Assert.Contains("""verbs: ["get", "list", "watch"]""", templates, StringComparison.Ordinal);
        Assert.Contains("""resources: ["nodes"]""", templates, StringComparison.Ordinal);
    }

    [Fact]
    public void PodsRunHardenedWithProbesOnTheServersEndpoints()
    {
        var deployment = File.ReadAllText(Path.Combine(Paths.Chart, "templates", "deployment.yaml"));
        foreach (var line in new[]
        {
            "runAsNonRoot: true", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false", "- ALL",
            "path: /healthz", "path: /readyz", "--config=/etc/node-state-server/rules.yaml", "mountPath: /etc/node-state-server",
        })
            Assert.Contains(line, deployment, StringComparison.Ordinal);
        Assert.Contains("rules.yaml: |", File.ReadAllText(Path.Combine(Paths.Chart, "templates", "configmap.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultsGiveTwoReplicasAndTheServersPort()
    {
        var values = LoadMapping(ChartFile("values.yaml"));
        Assert.Equal("2", values["replicas"].ToString());
        Assert.Equal("9376", ((YamlMappingNode)values["service"])["port"].ToString());
        Assert.Equal("1", ((YamlMappingNode)values["podDisruptionBudget"])["minAvailable"].ToString());
    }
}

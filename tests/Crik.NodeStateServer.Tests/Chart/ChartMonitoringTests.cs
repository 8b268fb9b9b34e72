using System.Text.RegularExpressions;
using Crik.TestSupport;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Crik.NodeStateServer.Tests.Chart;

/// <summary>
/// The chart's optional objects, checked without helm as <see cref="HelmChartTests"/> does: the PodMonitors or
/// ServiceMonitors, the PrometheusRule (the same alerts as examples/monitoring/) and the Role for crik's Events
/// are all off by default, each template's blocks are balanced, and nothing outside an if or range is an object.
/// </summary>
[Trait("Category", "Unit")]
public sealed partial class ChartMonitoringTests
{
    private static readonly string[] OptionalTemplates = ["prometheusrule.yaml", "monitors.yaml", "crik-rbac.yaml"];

    private static string Template(string name) => File.ReadAllText(Path.Combine(Paths.Chart, "templates", name));

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return Assert.IsType<YamlMappingNode>(stream.Documents[0].RootNode);
    }

    private static string Yaml(YamlNode node)
    {
        using var text = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(text, assignAnchors: false);
        return text.ToString();
    }

    [Fact]
    public void ChartAlertsAreTheExamplesAlerts()
    {
        var chart = Load(Path.Combine(Paths.Chart, "files", "crik-alerts.yaml"));
        var example = Load(Path.Combine(Paths.RepositoryRoot, "examples", "monitoring", "prometheusrule.yaml"));
        string exampleGroups = Yaml(((YamlMappingNode)example["spec"])["groups"]);
        Assert.Contains("alert: NodeStateServerNotReady", exampleGroups, StringComparison.Ordinal);
        Assert.Equal(exampleGroups, Yaml(chart["groups"]));
    }

    [Fact]
    public void MonitoringAndCrikRbacAreOffByDefault()
    {
        var values = Load(Path.Combine(Paths.Chart, "values.yaml"));
        var monitoring = (YamlMappingNode)values["monitoring"];
        Assert.Equal("", monitoring["nodeStateServer"].ToString());
        Assert.Equal("", monitoring["crik"].ToString());
        Assert.Equal("false", ((YamlMappingNode)monitoring["prometheusRule"])["enabled"].ToString());
        var crikRbac = (YamlMappingNode)values["crikRBAC"];
        Assert.Empty(Assert.IsType<YamlSequenceNode>(crikRbac["serviceAccounts"]).Children);
        Assert.Equal("false", crikRbac["annotatePods"].ToString());
    }

    /// <summary>Every template opens and closes its blocks in pairs, and an else stands only inside one.</summary>
    [Fact]
    public void EveryTemplatesBlocksAreBalanced()
    {
        var problems = new List<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(Paths.Chart, "templates")).Order(StringComparer.Ordinal))
        {
            if (Unbalanced(File.ReadAllText(file)) is { } problem)
                problems.Add($"{Path.GetFileName(file)}: {problem}");
        }
        Assert.Empty(problems);
    }

    [Fact]
    public void BalanceCheckCatchesAMissingEnd()
    {
        Assert.Null(Unbalanced("{{- if .Values.a }}x{{- else }}y{{- end }}"));
        Assert.NotNull(Unbalanced("{{- if .Values.a }}{{- range .Values.b }}x{{- end }}"));
        Assert.NotNull(Unbalanced("{{- else }}"));
    }

    /// <summary>An optional template declares its objects only inside an if or a range on its values.</summary>
    [Fact]
    public void OptionalTemplatesDeclareNothingUnlessTurnedOn()
    {
        foreach (string name in OptionalTemplates)
        {
            string outside = OutsideBlocks(Template(name));
            Assert.DoesNotContain("apiVersion:", outside, StringComparison.Ordinal);
            Assert.DoesNotContain("kind:", outside, StringComparison.Ordinal);
        }
        Assert.StartsWith("{{- if .Values.monitoring.prometheusRule.enabled }}", Template("prometheusrule.yaml"), StringComparison.Ordinal);
        Assert.Contains("{{- if .Values.monitoring.nodeStateServer }}", Template("monitors.yaml"), StringComparison.Ordinal);
        Assert.Contains("{{- if .Values.monitoring.crik }}", Template("monitors.yaml"), StringComparison.Ordinal);
        Assert.Contains("{{- range .Values.crikRBAC.serviceAccounts }}", Template("crik-rbac.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public void MonitorsScrapeTheServerAndCrikOnTheirNamedPorts()
    {
        string monitors = Template("monitors.yaml");
        Assert.Contains("""$kinds := list "" "PodMonitor" "ServiceMonitor" """.TrimEnd(), monitors, StringComparison.Ordinal);
        Assert.Contains("kind: {{ .Values.monitoring.nodeStateServer }}", monitors, StringComparison.Ordinal);
        Assert.Contains("kind: {{ .Values.monitoring.crik }}", monitors, StringComparison.Ordinal);
        Assert.Contains("- port: http", monitors, StringComparison.Ordinal);
        Assert.Contains("- port: metrics", monitors, StringComparison.Ordinal);
        Assert.Contains("""crik/metrics: "true" """.TrimEnd(), monitors, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(monitors, @"^  podMetricsEndpoints:$", RegexOptions.Multiline));
        Assert.Equal(2, Regex.Count(monitors, @"^  endpoints:$", RegexOptions.Multiline));
        // The same port name the Service and the Deployment give the server.
        Assert.Contains("- name: http", Template("service.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public void PrometheusRuleCarriesTheAlertsFileAndItsRunbookLinks()
    {
        string rule = Template("prometheusrule.yaml");
        Assert.Contains("kind: PrometheusRule", rule, StringComparison.Ordinal);
        Assert.Contains(""".Files.Get "files/crik-alerts.yaml" """.TrimEnd(), rule, StringComparison.Ordinal);
        var values = Load(Path.Combine(Paths.Chart, "values.yaml"));
        string baseUrl = ((YamlMappingNode)((YamlMappingNode)values["monitoring"])["prometheusRule"])["runbookBaseURL"].ToString();
        // The template replaces the default base URL with the value; each alert's link starts with it.
        Assert.Contains($"replace \"{baseUrl}\" .Values.monitoring.prometheusRule.runbookBaseURL", rule, StringComparison.Ordinal);
        string alerts = File.ReadAllText(Path.Combine(Paths.Chart, "files", "crik-alerts.yaml"));
        Assert.Equal(Regex.Count(alerts, @"^\s+- alert: ", RegexOptions.Multiline), Regex.Count(alerts, $@"runbook_url: {Regex.Escape(baseUrl)}#"));
    }

    /// <summary>crik's Role: Events, its own Pod's uid, and patch on pods only for the annotations.</summary>
    [Fact]
    public void CrikRoleGrantsPatchOnPodsOnlyForTheAnnotations()
    {
        string rbac = Template("crik-rbac.yaml");
        Assert.Contains("kind: Role\n", rbac, StringComparison.Ordinal);
        Assert.Contains("kind: RoleBinding\n", rbac, StringComparison.Ordinal);
        Assert.Contains("""
              - apiGroups: [""]
                resources: ["events"]
                verbs: ["create", "patch"]
            """, rbac, StringComparison.Ordinal);
        Assert.Contains("""
                {{- if $.Values.crikRBAC.annotatePods }}
                verbs: ["get", "patch"]
                {{- else }}
                verbs: ["get"]
                {{- end }}
            """, rbac, StringComparison.Ordinal);
        // "patch" twice: on events, and on pods in the annotatePods branch.
        Assert.Equal(2, Regex.Count(rbac, "\"patch\"", RegexOptions.None));
        Assert.DoesNotContain("ClusterRole", rbac, StringComparison.Ordinal);
    }

    /// <summary>Null when every if, range, with and define has its end (and every else is inside one), else what is wrong.</summary>
    internal static string? Unbalanced(string template)
    {
        int depth = 0;
        foreach (Match action in Action().Matches(template))
        {
            switch (action.Groups[1].Value)
            {
                case "end":
                    if (--depth < 0)
                        return $"an end with no block open, at {action.Index}";
                    break;
                case "else":
                    if (depth == 0)
                        return $"an else outside any block, at {action.Index}";
                    break;
                default:
                    depth++;
                    break;
            }
        }
        return depth == 0 ? null : $"{depth} block(s) never closed";
    }

    /// <summary>The template's text at depth 0, outside every if, range, with and define.</summary>
    internal static string OutsideBlocks(string template)
    {
        var outside = new System.Text.StringBuilder();
        int depth = 0, from = 0;
        foreach (Match action in Action().Matches(template))
        {
            if (depth == 0)
                outside.Append(template, from, action.Index - from);
            depth += action.Groups[1].Value switch { "end" => -1, "else" => 0, _ => 1 };
            from = action.Index + action.Length;
        }
        if (depth == 0)
            outside.Append(template, from, template.Length - from);
        return outside.ToString();
    }

    [GeneratedRegex(@"\{\{-?\s*(if|range|with|define|else|end)\b[^}]*\}\}")]
    private static partial Regex Action();
}

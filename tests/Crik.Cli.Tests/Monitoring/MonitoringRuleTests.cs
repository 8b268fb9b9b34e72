using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Crik.TestSupport;
using Crik.Cli.Tests.Support;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Crik.Cli.Tests.Monitoring;

/// <summary>
/// examples/monitoring/ checked with a real promtool: the alerts load (promtool check rules) and pass their
/// unit tests (promtool test rules on prometheusrule.test.yaml), every alert has a case where it fires, one
/// where it does not and one where it clears, and every query of the Grafana dashboard parses as PromQL.
/// </summary>
public sealed partial class MonitoringRuleTests : IDisposable
{
    private const string RulesFileName = "prometheusrule.rules.yaml";
    private const string TestFileName = "prometheusrule.test.yaml";

    private static readonly string Monitoring = Path.Combine(Paths.RepositoryRoot, "examples", "monitoring");
    private static readonly string RuleResource = File.ReadAllText(Path.Combine(Monitoring, "prometheusrule.yaml"));

    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [PromtoolFact]
    public void RulesLoadInPromtool()
    {
        WriteRules(RuleResource);
        string output = Promtool.MustPass(_work.Path, "check", "rules", RulesFileName);
        Assert.Contains($"SUCCESS: {Alerts().Count} rules found", output, StringComparison.Ordinal);
    }

    [PromtoolFact]
    public void EveryAlertPassesItsRuleTests()
    {
        WriteRules(RuleResource);
        string output = Promtool.MustPass(_work.Path, "test", "rules", TestFileName);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The rule tests catch the alert of issue 46: "sum(...) == 0" is empty when no replica is scraped, so
    /// it never fires in the worst case.
    /// </summary>
    [PromtoolFact]
    public void RuleTestsFailAnAlertThatMissesItsCase()
    {
        const string Fixed = "(sum(node_state_server_ready) or vector(0)) == 0";
        Assert.Contains(Fixed, RuleResource, StringComparison.Ordinal);
        WriteRules(RuleResource.Replace(Fixed, "sum(node_state_server_ready) == 0", StringComparison.Ordinal));

        (int code, string output) = Promtool.Run(_work.Path, "test", "rules", TestFileName);

        Assert.True(code != 0, "promtool test rules passed a NodeStateServerNotReady that never fires when nothing is scraped:\n" + output);
        Assert.Contains("alertname: NodeStateServerNotReady", output, StringComparison.Ordinal);
        Assert.DoesNotContain("alertname: Crik", output, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryAlertHasCasesWhereItFiresStaysQuietAndClears()
    {
        var cases = RuleTestCases();
        var missing = new List<string>();
        foreach (string alert in Alerts().Keys)
        {
            var mine = cases.Where(c => c.Alert == alert).ToList();
            if (!mine.Any(c => c.Firing.Count > 0))
            {
                missing.Add($"{alert}: no case where it fires");
            }
            if (!mine.Any(c => c.Firing.Count == 0))
            {
                missing.Add($"{alert}: no case where it stays quiet");
            }
            if (!mine.Any(fired => mine.Any(c => c.Group == fired.Group && c.At > fired.At && fired.Firing.Except(c.Firing).Any())))
            {
                missing.Add($"{alert}: no case where it clears after firing");
            }
        }
        Assert.Empty(missing);
        Assert.Empty(cases.Select(c => c.Alert).Distinct().Except(Alerts().Keys));
    }

    [Fact]
    public void EveryAlertHasASeverityASummaryAndARunbookSection()
    {
        string observing = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "docs", "observing.md"));
        HashSet<string> anchors = HeadingAnchors(observing);
        var problems = new List<string>();
        foreach (var (alert, rule) in Alerts())
        {
            string? severity = YamlPath.Scalar(rule, "labels", "severity");
            if (severity is not ("warning" or "critical"))
            {
                problems.Add($"{alert}: severity is {severity ?? "missing"}");
            }
            foreach (string annotation in new[] { "summary", "description" })
            {
                if (string.IsNullOrWhiteSpace(YamlPath.Scalar(rule, "annotations", annotation)))
                {
                    problems.Add($"{alert}: no {annotation}");
                }
            }
            string runbook = YamlPath.Scalar(rule, "annotations", "runbook_url") ?? "";
            Match url = RunbookUrl().Match(runbook);
            if (!url.Success)
            {
                problems.Add($"{alert}: runbook_url '{runbook}' does not point into docs/observing.md");
            }
            else if (!string.Equals(url.Groups[1].Value, alert, StringComparison.OrdinalIgnoreCase) || !anchors.Contains(url.Groups[1].Value))
            {
                problems.Add($"{alert}: docs/observing.md has no heading '{alert}' for runbook_url #{url.Groups[1].Value}");
            }
        }
        Assert.Empty(problems);
    }

    [PromtoolFact]
    public void EveryDashboardQueryParsesAsPromQL()
    {
        var queries = DashboardQueries();
        Assert.True(queries.Count >= 20, $"found {queries.Count} queries in the dashboard");
        _work.Write("dashboard.rules.yaml", RecordingRules(queries));

        string output = Promtool.MustPass(_work.Path, "check", "rules", "dashboard.rules.yaml");

        Assert.Contains($"SUCCESS: {queries.Count} rules found", output, StringComparison.Ordinal);
    }

    [PromtoolFact]
    public void DashboardCheckRejectsAQueryThatDoesNotParse()
    {
        _work.Write("broken.rules.yaml", RecordingRules([
            ("Good", "sum by (outcome) (increase(crik_checkpoints_total[1h]))"),
            ("Unclosed", "sum by (outcome) (increase(crik_checkpoints_total[1h])"),
        ]));

        (int code, string output) = Promtool.Run(_work.Path, "check", "rules", "broken.rules.yaml");

        Assert.True(code != 0, output);
        Assert.Contains("Unclosed", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every series the dashboard and the alerts read is one crik or the node-state server serves (issue 46's
    /// names): a histogram is read through _bucket, _sum or _count, never by its bare name as a gauge.
    /// </summary>
    [Fact]
    public void DashboardAndAlertsReadOnlySeriesThatExist()
    {
        var exprs = DashboardQueries().Select(q => q.Expr)
            .Concat(DashboardVariableQueries())
            .Concat(Alerts().Values.Select(rule => YamlPath.Scalar(rule, "expr")!));
        var unknown = exprs.SelectMany(e => SeriesName().Matches(e).Select(m => m.Value))
            .Where(name => !KnownSeries.Contains(name)).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Empty(unknown);
    }

    [Fact]
    public void SeriesCheckCatchesAHistogramReadAsAGauge() =>
        Assert.Equal(["crik_checkpoint_frozen_seconds"],
            SeriesName().Matches("crik_checkpoint_frozen_seconds{pod=~\"$pod\"} > 0 and crik_checkpoint_frozen_seconds_count > 0")
                .Select(m => m.Value).Where(name => !KnownSeries.Contains(name)));

    private static readonly HashSet<string> KnownSeries = BuildKnownSeries();

    private static HashSet<string> BuildKnownSeries()
    {
        string[] histograms = ["crik_checkpoint_duration_seconds", "crik_checkpoint_frozen_seconds", "crik_restore_duration_seconds"];
        string[] others =
        [
            "crik_checkpoints_total", "crik_checkpoint_written_bytes", "crik_checkpoint_app_wrote_bytes", "crik_restore_shared_bytes", "crik_checkpoint_size_bytes",
            "crik_checkpoint_last_success_timestamp_seconds", "crik_checkpoint_interval_seconds", "crik_checkpoints_set_aside_total", "crik_checkpoints_periodic_stretched_total",
            "crik_restores_total", "crik_app_start_seconds", "crik_restore_memory_all_in_seconds", "crik_restore_resumed_again_total",
            "crik_restore_crash_loop_give_ups_total", "crik_app_oom_kills_total", "crik_app_running", "crik_lease_state",
            "crik_lease_freezes_total", "crik_lease_in_doubt_seconds", "crik_lease_doubts_kept_total", "crik_lease_kept_after_seconds", "crik_build_info", "crik_gc_heap_bytes", "crik_lazy_restore_store_waiting_seconds",
            "crik_lazy_restore_store_outages_total", "crik_store_requests_total", "crik_store_errors_total", "crik_store_retries_total",
            "crik_node_state_queries_total",
            "process_start_time_seconds", "process_cpu_seconds_total", "process_resident_memory_bytes",
            "node_state_server_nodes", "node_state_server_answers_total", "node_state_server_held_answers", "node_state_server_held_answers_refused_total",
            "node_state_server_watch_restarts_total",
            "node_state_server_list_restarts_total", "node_state_server_ready", "node_state_server_bad_items_total",
            "node_state_server_http_requests_total", "node_state_server_gc_heap_bytes", "node_state_server_gc_committed_bytes",
            "node_state_server_gc_allocated_bytes_total", "node_state_server_gc_pause_seconds_total", "node_state_server_gc_collections_total",
        ];
        var known = new HashSet<string>(others, StringComparer.Ordinal);
        foreach (string histogram in histograms)
        {
            known.UnionWith([histogram + "_bucket", histogram + "_sum", histogram + "_count"]);
        }
        return known;
    }

    /// <summary>Writes the PrometheusRule's spec as a plain rule file, next to a copy of the rule tests that name it.</summary>
    private void WriteRules(string prometheusRule)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(prometheusRule));
        var spec = ((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("spec")];
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(spec)).Save(text, assignAnchors: false);
        _work.Write(RulesFileName, text.ToString());
        File.Copy(Path.Combine(Monitoring, TestFileName), Path.Combine(_work.Path, TestFileName), overwrite: true);
    }

    /// <summary>The alerting rules of the PrometheusRule, by alert name.</summary>
    private static Dictionary<string, YamlMappingNode> Alerts()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(RuleResource));
        var groups = (YamlSequenceNode)YamlPath.Node(stream.Documents[0].RootNode, "spec", "groups")!;
        return groups.Children.Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g.Children[new YamlScalarNode("rules")]).Children.Cast<YamlMappingNode>())
            .Where(rule => YamlPath.Scalar(rule, "alert") is not null)
            .ToDictionary(rule => YamlPath.Scalar(rule, "alert")!, StringComparer.Ordinal);
    }

    /// <summary>One alert_rule_test: the alerts expected at that time, each as its sorted labels.</summary>
    private sealed record RuleTestCase(int Group, string Alert, TimeSpan At, HashSet<string> Firing);

    private static List<RuleTestCase> RuleTestCases()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Monitoring, TestFileName))));
        var tests = (YamlSequenceNode)YamlPath.Node(stream.Documents[0].RootNode, "tests")!;
        var cases = new List<RuleTestCase>();
        for (int group = 0; group < tests.Children.Count; group++)
        {
            if (YamlPath.Node(tests.Children[group], "alert_rule_test") is not YamlSequenceNode alertTests)
            {
                continue;
            }
            foreach (YamlNode test in alertTests.Children)
            {
                var expected = (YamlPath.Node(test, "exp_alerts") as YamlSequenceNode)?.Children ?? [];
                var firing = expected.Select(alert => string.Join(",", (YamlPath.Node(alert, "exp_labels") as YamlMappingNode ?? [])
                    .Select(label => $"{label.Key}={label.Value}").Order(StringComparer.Ordinal))).ToHashSet(StringComparer.Ordinal);
                cases.Add(new RuleTestCase(group, YamlPath.Scalar(test, "alertname")!, Duration(YamlPath.Scalar(test, "eval_time")!), firing));
            }
        }
        return cases;
    }

    /// <summary>A Prometheus duration such as 1h30m, 56m or 90s.</summary>
    private static TimeSpan Duration(string text)
    {
        var parts = DurationPart().Matches(text);
        Assert.True(parts.Sum(p => p.Length) == text.Length, $"cannot read the duration '{text}'");
        return parts.Aggregate(TimeSpan.Zero, (sum, part) =>
        {
            int n = int.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            return sum + part.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromSeconds(n),
            };
        });
    }

    /// <summary>
    /// Every panel query of the dashboard (panels in rows too), with Grafana's variables replaced by what Grafana
    /// puts there: an interval for $__rate_interval, $__interval and $__range, ".*" for the namespace and pod.
    /// </summary>
    private static List<(string Name, string Expr)> DashboardQueries() =>
        [.. GrafanaDashboard.Targets().Select(target => ($"panel_{target.PanelId}_{target.RefId}", GrafanaVariables(target.Expr)))];

    /// <summary>The queries of the dashboard's query variables (label_values(series, label): Grafana's, not PromQL).</summary>
    private static List<string> DashboardVariableQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Monitoring, "crik-dashboard.json")));
        return [.. dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(v => v.GetProperty("type").GetString() == "query")
            .Select(v => v.GetProperty("definition").GetString()!)];
    }

    private static string GrafanaVariables(string expr) =>
        GrafanaVariable().Replace(
            expr.Replace("$__rate_interval", "5m", StringComparison.Ordinal)
                .Replace("$__interval", "1m", StringComparison.Ordinal)
                .Replace("$__range", "1h", StringComparison.Ordinal),
            ".*");

    /// <summary>A rule file with one recording rule per query, which promtool check rules parses (JSON's escapes are YAML's).</summary>
    private static string RecordingRules(IEnumerable<(string Name, string Expr)> queries)
    {
        var text = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        foreach (var (name, expr) in queries)
        {
            text.Append(CultureInfo.InvariantCulture, $"      - record: dashboard:{name}\n");
            text.Append(CultureInfo.InvariantCulture, $"        expr: \"{JsonEncodedText.Encode(expr)}\"\n");
        }
        return text.ToString();
    }

    /// <summary>The anchors GitHub gives a Markdown file's headings (lower case, punctuation removed, spaces as dashes).</summary>
    private static HashSet<string> HeadingAnchors(string markdown) =>
        [.. Heading().Matches(markdown).Select(h => NotInAnchor().Replace(h.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))];

    [GeneratedRegex(@"^https://[^#\s]+/docs/observing\.md#([a-z0-9-]+)$")]
    private static partial Regex RunbookUrl();

    [GeneratedRegex(@"\b(?:crik|node_state_server|process)_[a-z0-9_]+")]
    private static partial Regex SeriesName();

    [GeneratedRegex(@"(\d+)([hms])")]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")]
    private static partial Regex GrafanaVariable();

    [GeneratedRegex(@"^#{1,6} (.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\w\- ]")]
    private static partial Regex NotInAnchor();
}

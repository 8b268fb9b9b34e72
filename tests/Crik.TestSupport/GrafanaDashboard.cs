using System.Text.Json;
using System.Text.RegularExpressions;

namespace Crik.TestSupport;

/// <summary>examples/monitoring/crik-dashboard.json, as the tests read it: its panels' queries.</summary>
public static partial class GrafanaDashboard
{
    private static readonly string[] HistogramSuffixes = ["", "_bucket", "_sum", "_count"];

    public static string File => Path.Combine(Paths.RepositoryRoot, "examples", "monitoring", "crik-dashboard.json");

    /// <summary>Every panel query (panels in rows too), as written, with the panel's id and the query's refId.</summary>
    public static List<(int PanelId, string RefId, string Expr)> Targets()
    {
        using var dashboard = JsonDocument.Parse(System.IO.File.ReadAllText(File));
        var targets = new List<(int, string, string)>();
        void Walk(JsonElement panels)
        {
            foreach (JsonElement panel in panels.EnumerateArray())
            {
                if (panel.TryGetProperty("panels", out JsonElement inner))
                {
                    Walk(inner);
                }
                if (!panel.TryGetProperty("targets", out JsonElement queries))
                {
                    continue;
                }
                foreach (JsonElement target in queries.EnumerateArray())
                {
                    targets.Add((panel.GetProperty("id").GetInt32(), target.GetProperty("refId").GetString()!, target.GetProperty("expr").GetString()!));
                }
            }
        }
        Walk(dashboard.RootElement.GetProperty("panels"));
        return targets;
    }

    /// <summary>
    /// The metric families of a /metrics text (its "# TYPE" lines) that no panel query reads: a histogram counts as
    /// read through its _bucket, _sum or _count series.
    /// </summary>
    public static List<string> FamiliesOnNoPanel(string metricsText)
    {
        HashSet<string> read = [.. Targets().SelectMany(target => SeriesName().Matches(target.Expr).Select(match => match.Value))];
        return [.. Families(metricsText).Where(family => !HistogramSuffixes.Any(suffix => read.Contains(family + suffix)))];
    }

    /// <summary>The metric families a /metrics text declares (its "# TYPE" lines), each once.</summary>
    public static List<string> Families(string metricsText) =>
        [.. TypeLine().Matches(metricsText).Select(match => match.Groups[1].Value).Distinct()];

    [GeneratedRegex(@"\b[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SeriesName();

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();
}

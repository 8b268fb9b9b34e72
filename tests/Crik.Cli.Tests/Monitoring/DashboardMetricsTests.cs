using System.Text.RegularExpressions;
using Crik.Cli.Observing;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Monitoring;

/// <summary>Every metric family crik serves is on a panel of examples/monitoring/crik-dashboard.json.</summary>
[Trait("Category", "Unit")]
public sealed partial class DashboardMetricsTests
{
    [Fact]
    public void EveryFamilyCrikServesIsReadByAPanel()
    {
        string served = EveryFamily();
        Assert.True(GrafanaDashboard.Families(served).Count >= 31, served);
        Assert.Empty(GrafanaDashboard.FamiliesOnNoPanel(served));
    }

    /// <summary>A family crik renders only after some moment (the last restore's sharing) must be in the text the test reads.</summary>
    [Fact]
    public void EveryFamilyNamedInCriksSourceIsInTheTextTheTestReads()
    {
        HashSet<string> rendered = [.. GrafanaDashboard.Families(EveryFamily())];
        string[] named = [.. Directory.EnumerateFiles(Path.Combine(Paths.RepositoryRoot, "src", "Crik.Cli"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => QuotedName().Matches(File.ReadAllText(file)).Select(match => match.Groups[1].Value)).Distinct()];
        Assert.NotEmpty(named);
        Assert.DoesNotContain(named, name => !rendered.Contains(name));
    }

    [Fact]
    public void AFamilyNoPanelReadsIsFound() =>
        Assert.Equal(["crik_not_on_the_dashboard_total"], GrafanaDashboard.FamiliesOnNoPanel(
            "# TYPE crik_not_on_the_dashboard_total counter\n# TYPE crik_checkpoint_duration_seconds histogram\n"));

    /// <summary>crik's /metrics after one of every moment that adds a family.</summary>
    private static string EveryFamily()
    {
        var metrics = new CrikMetrics(TimeSpan.FromMinutes(5), asksNodeState: true);
        metrics.On(new Happening.LeaseChanged(LeaseState.Held));
        metrics.On(new Happening.Restored(3, Lazily: true, TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(0.5), 9, SharedBytes: 4096));
        metrics.On(new Happening.RestoreMemoryAllIn(3, TimeSpan.FromSeconds(2.5)));
        metrics.On(new Happening.CheckpointCommitted(4, "periodic", 1000, 100, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(0.7), AppWroteBytes: 50));
        return metrics.Render();
    }

    [GeneratedRegex("\"(crik_[a-z0-9_]+)\"")]
    private static partial Regex QuotedName();
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Monitoring;

/// <summary>
/// docs/images/crik-dashboard.svg is the current dashboard (examples/monitoring/crik-dashboard.json) as
/// scripts/draw-dashboard.py draws it: every panel and row, in the dashboard's order. After a change to the
/// dashboard: python3 scripts/draw-dashboard.py.
/// </summary>
public sealed partial class DashboardPictureTests
{
    private static readonly string Picture = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "docs", "images", "crik-dashboard.svg"));

    [Fact]
    [Trait("Category", "Unit")]
    public void ThePictureShowsEveryPanelOfTheDashboardInItsOrder()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "examples", "monitoring", "crik-dashboard.json")));
        string[] panels = [.. dashboard.RootElement.GetProperty("panels").EnumerateArray().Select(panel => panel.GetProperty("title").GetString()!)];
        string[] drawn = [.. PanelTitle().Matches(Picture).Select(match => System.Net.WebUtility.HtmlDecode(match.Groups[1].Value))];
        Assert.Equal(panels, drawn);
    }

    [Fact]
    public void ThePictureIsWhatTheScriptDrawsFromTheDashboardNow()
    {
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, WorkingDirectory = Paths.RepositoryRoot };
        info.ArgumentList.Add("scripts/draw-dashboard.py");
        info.ArgumentList.Add("--stdout");
        using Process script = Process.Start(info)!;
        string drawn = script.StandardOutput.ReadToEnd();
        script.WaitForExit();
        Assert.Equal(0, script.ExitCode);
        Assert.True(drawn == Picture, "docs/images/crik-dashboard.svg is out of date: run python3 scripts/draw-dashboard.py");
    }

    /// <summary>The title of a panel or a row, as the script writes it.</summary>
    [GeneratedRegex("""<text class="(?:title|row)"[^>]*>([^<]*)</text>""")]
    private static partial Regex PanelTitle();
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Shipping;

/// <summary>
/// scripts/demo.sh, the README's first command: the count goes on from pod to pod, and nothing it prints
/// warns of something the run then contradicts (each pod mounts the volume at imageDir, as a pod does).
/// </summary>
public partial class DemoTests
{
    [CriuFact]
    public void TheDemoCarriesTheCountFromPodToPodAndPrintsNoWarning()
    {
        using var temporary = new TempDirectory();
        (int exitCode, List<string> lines) = RunDemo(temporary.Path);
        string transcript = string.Join('\n', lines);

        Assert.True(exitCode == 0, $"demo.sh exited {exitCode}\n{transcript}");
        Assert.DoesNotContain(lines, line => Warning().IsMatch(line));
        Assert.Contains(lines, line => line.StartsWith("[pod 2] ", StringComparison.Ordinal) && line.Contains("Restored checkpoint 1", StringComparison.Ordinal));
        int lastOfPod1 = Counts(lines, 1).Last();
        int firstOfPod2 = Counts(lines, 2).First();
        Assert.True(firstOfPod2 == lastOfPod1 + 1, $"pod 2 counted from {firstOfPod2}, pod 1 stopped at {lastOfPod1}\n{transcript}");
    }

    private static (int ExitCode, List<string> Lines) RunDemo(string temporary)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Paths.RepositoryRoot };
        info.ArgumentList.Add("scripts/demo.sh");
        info.Environment["CRIK_BIN"] = Paths.Crik;
        info.Environment["PODS"] = "2";
        info.Environment["SECONDS_PER_POD"] = "2";
        info.Environment["TMPDIR"] = temporary;
        using Process demo = Process.Start(info)!;
        Task<string> error = demo.StandardError.ReadToEndAsync();
        string output = demo.StandardOutput.ReadToEnd();
        Assert.True(demo.WaitForExit(TimeSpan.FromMinutes(3)), "demo.sh did not finish in 3 minutes");
        return (demo.ExitCode, [.. (output + error.Result).Split('\n')]);
    }

    private static IEnumerable<int> Counts(List<string> lines, int pod) =>
        lines.Where(line => line.StartsWith($"[pod {pod}] count ", StringComparison.Ordinal)).Select(line => int.Parse(line.Split(' ')[3]));

    /// <summary>crik's warning and error lines, and CRIU's.</summary>
    [GeneratedRegex(@" (WRN|ERR) |^Warn |^Error ")]
    private static partial Regex Warning();
}

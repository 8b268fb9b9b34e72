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
        string[] warnings = [.. lines.Where(line => Warning().IsMatch(line))];
        Assert.True(warnings.Length == 0, $"the demo warned:\n{string.Join('\n', warnings)}");
        Assert.Contains(lines, line => line.StartsWith("[pod 2] ", StringComparison.Ordinal) && line.Contains("Restored checkpoint 1", StringComparison.Ordinal));
        // 0, 1, 2, ... with nothing counted twice or skipped, pod 2 going on where pod 1 stopped.
        List<(int Pod, int Count)> counts = [.. lines.Select(line => Count().Match(line)).Where(match => match.Success)
            .Select(match => (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value)))];
        Assert.True(counts.Select(count => count.Count).SequenceEqual(Enumerable.Range(0, counts.Count)) && counts.Any(count => count.Pod == 2),
            $"the count did not go on from pod 1 to pod 2\n{transcript}");
    }

    private static (int ExitCode, List<string> Lines) RunDemo(string temporary)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Paths.RepositoryRoot };
        info.ArgumentList.Add("scripts/demo.sh");
        info.Environment["CRIK_BIN"] = Paths.Crik;
        info.Environment["PODS"] = "2";
        info.Environment["SECONDS_PER_POD"] = "4";
        info.Environment["TMPDIR"] = temporary;
        using Process demo = Process.Start(info)!;
        Task<string> error = demo.StandardError.ReadToEndAsync();
        string output = demo.StandardOutput.ReadToEnd();
        Assert.True(demo.WaitForExit(TimeSpan.FromMinutes(3)), "demo.sh did not finish in 3 minutes");
        return (demo.ExitCode, [.. (output + error.Result).Split('\n')]);
    }

    [GeneratedRegex(@"^\[pod (\d+)\] count (\d+)$")]
    private static partial Regex Count();

    /// <summary>crik's warning and error lines, and CRIU's (its check's closing "Looks good." too: a passing check is quiet).</summary>
    [GeneratedRegex(@" (WRN|ERR) |^Warn |^Error |^Looks good")]
    private static partial Regex Warning();
}

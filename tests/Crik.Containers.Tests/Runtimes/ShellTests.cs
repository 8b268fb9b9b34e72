using System.Text.RegularExpressions;
using Crik.Containers.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Containers.Tests.Runtimes;

public partial class ShellTests
{
    /// <summary>
    /// The shell's stdin is its own pipe from a producer and its stdout its own pipe into tee: both
    /// are the app's, so CRIU must restore them as they were. Only tee's stdout is the container's.
    /// </summary>
    private const string Script =
        "exec > >(tee -a /var/log/shell.log); while read -r n; do echo \"got $n\"; done < <(i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done)";

    [ContainerFact]
    public async Task ShellWithProcessSubstitutionKeepsReadingAndLoggingAcrossNewContainers()
    {
        using var set = new StatefulSet();
        Pod? previous = null;
        int logged = 0;
        await set.ThreePodsAsync(["bash", "-c", Script], (pod, number) =>
        {
            // Where the previous pod's app stopped, to the line: the restored one goes on from there.
            int next = previous is null ? 0 : Got(previous).Max() + 1;
            Poll.Until(() => Got(pod).Count >= 10 || !pod.IsRunning(), $"{pod.Name} to go on counting", TimeSpan.FromSeconds(60));
            List<int> got = Got(pod);
            Assert.True(got.Count >= 10 && got[0] == next, $"expected \"got N\" lines from {next} on\n{pod.Diagnostics}");
            int nowLogged = LineCount(pod);
            Assert.True(nowLogged > logged, $"/var/log/shell.log should keep growing past {logged} lines\n{pod.Diagnostics}");
            logged = nowLogged;
            previous = pod;
            return Task.CompletedTask;
        });
    }

    private static int LineCount(Pod pod) => int.Parse(pod.Exec("wc", "-l", "/var/log/shell.log").Split(' ')[0]);

    private static List<int> Got(Pod pod) =>
        pod.Logs.Split('\n').Select(l => GotLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    [GeneratedRegex(@"^got (\d+)$")]
    private static partial Regex GotLine();
}

using System.Text.RegularExpressions;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// Only the descriptors crik handed the app are bound to the new pod's stdio on restore; a pipe the
/// app made itself (process substitution, a tee) is the app's and comes back as it was.
/// </summary>
public partial class StdioTests
{
    [CriuFact]
    public void AppReadingItsOwnPipeOnStdinKeepsReadingAfterRestore()
    {
        // While the loop runs, the shell's descriptor 0 is the pipe from the producer, not crik's stdin.
        const string script = "while read -r n; do echo \"got $n\"; done < <(i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done)";
        using var pods = new Pods();
        int lastBefore;
        using (CrikRun first = pods.Start("bash", "-c", script))
        {
            first.WaitForLine("got 3");
            Pods.CheckpointAndStop(first);
            lastBefore = Got(first).Max();
        }
        using CrikRun second = pods.Start("bash", "-c", script);
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        second.WaitForLine(_ => Got(second).Count(n => n > lastBefore) >= 5);
        Assert.Equal(lastBefore + 1, Got(second).First());
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AppWritingThroughItsOwnTeeKeepsLoggingAfterRestore()
    {
        using var pods = new Pods();
        string log = Path.Combine(pods.Root, "app.log");
        // The shell's stdout is its own pipe to tee; tee's stdout is what crik gave the app.
        string script = $"exec > >(tee -a {log}); i=0; while :; do echo \"got $i\"; i=$((i+1)); sleep 0.1; done";
        using (CrikRun first = pods.Start("bash", "-c", script))
        {
            first.WaitForLine("got 3");
            Pods.CheckpointAndStop(first);
        }
        int loggedBefore = File.ReadAllLines(log).Length;
        using CrikRun second = pods.Start("bash", "-c", script);
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        second.WaitForLine(_ => Got(second).Count >= 5);
        Poll.Until(() => File.ReadAllLines(log).Length >= loggedBefore + 5, $"{log} to keep growing after the restore\n{second.Transcript}");
        second.Signal(Native.SIGKILL);
    }

    private static List<int> Got(CrikRun pod) =>
        pod.Stdout.Select(l => GotLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    [GeneratedRegex(@"^got (\d+)$")]
    private static partial Regex GotLine();
}

using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// An app restored on crik's fill waits stopped until its memory is in; crik then lets go of each process that ran at the
/// checkpoint. One that is killed meanwhile, and reaped at once (its parent ignores SIGCHLD), may leave its PID to another
/// process of the pod: that process gets no SIGCONT meant for the app.
/// </summary>
public class LetGoByDescriptorTests
{
    [CriuFact]
    public void AProcessThatTookTheNumberOfOneKilledDuringTheFillIsNotLetGo()
    {
        using var pods = new Pods("lazyRestore: off\n");
        string[] app = ["python3", Paths.App("auto-reaping-parent.py")];
        string child;
        using (CrikRun first = pods.Start(app))
        {
            child = Regex.Match(first.WaitForLine(l => l.StartsWith("child ", StringComparison.Ordinal)), @"child (\d+)").Groups[1].Value;
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }

        string hold = Path.Combine(pods.Root, "fill-held");
        File.WriteAllText(hold, "");
        using CrikRun second = CrikRun.Start(["run", "--log-level", "debug", "--config", pods.ConfigPath, "--", .. app],
            environment: new Dictionary<string, string> { ["CRIK_TEST_FILL_HOLD_FILE"] = hold });
        second.WaitForLine("CRIU's restore left its", TimeSpan.FromSeconds(60), stderr: true);
        string pod = second.CrikPid.ToString(CultureInfo.InvariantCulture);
        string stat = HostCommand.Output("nsenter", "-t", pod, "-p", "-m", "--", "cat", $"/proc/{child}/stat");
        Assert.True(stat[stat.LastIndexOf(')') + 2] == 'T', $"the restored process {child} is not stopped while the fill is held: {stat}\n{second.Transcript}");
        HostCommand.MustRun("nsenter", "-t", pod, "-p", "-m", "--", "kill", "-KILL", child);
        string got = Path.Combine(pods.Root, "pid-taker-got-a-signal");
        string planted = HostCommand.Output("nsenter", "-t", pod, "-p", "-m", "--", "python3", Paths.App("take-the-pid.py"), child, got).Trim();
        Assert.Equal(child, planted);

        Assert.DoesNotContain(second.Stderr, l => l.Contains("Restored checkpoint 1 ", StringComparison.Ordinal)); // still held: not let go yet
        File.Delete(hold);
        second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        int counted = Pods.Counts(second).Count;
        second.WaitForLine(_ => Pods.Counts(second).Count > counted + 3, TimeSpan.FromSeconds(30)); // the app runs again
        Assert.False(File.Exists(got), $"the process that took a restored process's PID got crik's SIGCONT: {(File.Exists(got) ? File.ReadAllText(got) : "")}\n{second.Transcript}");
        second.Signal(Native.SIGKILL);
    }
}

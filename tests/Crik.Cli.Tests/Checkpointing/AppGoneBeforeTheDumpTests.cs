using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// The app's PID is its own only until crik reaps it: a checkpoint whose app ended before CRIU froze it must not dump the
/// process that took the number since.
/// </summary>
public class AppGoneBeforeTheDumpTests
{
    /// <summary>
    /// The app's session ends while crik copies its memory before the freeze (a 4 s pause there), crik reaps it, and another
    /// process of the container takes its PID. The checkpoint is not committed; before, CRIU dumped that process, and the next
    /// pod would have restored it in the app's place.
    /// </summary>
    [WriteTrackingFact]
    public void AnAppThatEndedBeforeTheFreezeIsNotCheckpointedThroughTheProcessThatTookItsPid()
    {
        using var pods = new Pods("trackWrites: on\n");
        using CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_COPY_FREEZE_PAUSE_MS"] = "4000" }, "sh", "-c", Pods.Counter());
        pod.WaitForLine("count 2");
        int app = int.Parse(Regex.Match(pod.WaitForLine("as PID ", stderr: true), @"as PID (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Task<(int Code, string Output, string Error)> checkpoint = Task.Run(() =>
            CrikCommand.Run(["checkpoint"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = pod.ControlSocket }));
        Pods.WaitForPause(pod, "CRIK_TEST_COPY_FREEZE_PAUSE_MS");

        // In the pod: the app's process group is killed, crik reaps the app, and the next process forked takes its PID (with no
        // descriptor of the host's open, so that CRIU can dump it).
        string plant = $"kill -KILL -{app}; while [ -e /proc/{app} ]; do sleep 0.05; done; "
            + $"echo {app - 1} > /proc/sys/kernel/ns_last_pid; setsid python3 -c 'import os; os.closerange(0, 1024); os.execvp(\"sleep\", [\"sleep\", \"120\"])' & echo $!";
        string impostor = HostCommand.Output("nsenter", "-t", pod.CrikPid.ToString(CultureInfo.InvariantCulture), "-p", "-m", "--", "sh", "-c", plant).Trim();
        Assert.Equal(app.ToString(CultureInfo.InvariantCulture), impostor);

        (int code, string output, string error) = checkpoint.GetAwaiter().GetResult();
        Assert.True(code != 0, $"the checkpoint of a process that is not the app was committed: {output}{error}\n{pod.Transcript}");
        Assert.DoesNotContain("checkpoint-000001", pods.Committed());
        Assert.Contains(pod.Stderr, l => l.Contains("Checkpoint 1 failed", StringComparison.Ordinal)
            && l.Contains($"the app (PID {app}) ended before its dump was over", StringComparison.Ordinal));
        pod.WaitForExit(TimeSpan.FromSeconds(60));
    }
}

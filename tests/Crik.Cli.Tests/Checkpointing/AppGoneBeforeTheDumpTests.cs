using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// The app's PID is its own only until crik reaps it: a checkpoint whose app ended before CRIU froze it must not dump the
/// process that took the number since, and a signal for the app must not reach that process's group.
/// </summary>
public class AppGoneBeforeTheDumpTests
{
    /// <summary>
    /// The app's session ends while crik copies its memory before the freeze (a 4 s pause there), crik reaps it, and another
    /// process of the container takes its PID and leads a group of that number. A SIGUSR1 crik gets then is not sent to that
    /// group, the checkpoint is not committed, and the failed checkpoint's resume sends that process no SIGCONT. Before, the
    /// signal reached that process, and CRIU dumped it: the next pod would have restored it in the app's place.
    /// </summary>
    [WriteTrackingFact]
    public void AnAppThatEndedBeforeTheFreezeIsNotCheckpointedOrSignalledThroughTheProcessThatTookItsPid()
    {
        using var pods = new Pods("trackWrites: on\n");
        string got = Path.Combine(pods.Root, "impostor-got-a-signal");
        using CrikRun pod = CrikRun.Start(["run", "--log-level", "debug", "--config", pods.ConfigPath, "--", "sh", "-c", Pods.Counter()],
            environment: new Dictionary<string, string> { ["CRIK_TEST_COPY_FREEZE_PAUSE_MS"] = "4000" });
        pod.WaitForLine("count 2");
        int app = int.Parse(Regex.Match(pod.WaitForLine("as PID ", stderr: true), @"as PID (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Task<(int Code, string Output, string Error)> checkpoint = Task.Run(() =>
            CrikCommand.Run(["checkpoint"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = pod.ControlSocket }));
        Pods.WaitForPause(pod, "CRIK_TEST_COPY_FREEZE_PAUSE_MS");

        // In the pod: the app's process group is killed, crik reaps the app, and the next process forked takes its PID.
        string planted = HostCommand.Output("nsenter", "-t", pod.CrikPid.ToString(CultureInfo.InvariantCulture), "-p", "-m", "--",
            "python3", Paths.App("take-the-pid.py"), app.ToString(CultureInfo.InvariantCulture), got).Trim();
        Assert.Equal(app.ToString(CultureInfo.InvariantCulture), planted);

        pod.Signal(Native.SIGUSR1);
        string told = pod.WaitForLine(l => l.Contains("forward SIGUSR1", StringComparison.Ordinal) || l.Contains("Forwarded SIGUSR1", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), stderr: true);
        Assert.Contains($"Did not forward SIGUSR1: the app (process group {app}) is gone", told, StringComparison.Ordinal);

        (int code, string output, string error) = checkpoint.GetAwaiter().GetResult();
        Assert.True(code != 0, $"the checkpoint of a process that is not the app was committed: {output}{error}\n{pod.Transcript}");
        Assert.DoesNotContain("checkpoint-000001", pods.Committed());
        Assert.Contains(pod.Stderr, l => l.Contains("Checkpoint 1 failed", StringComparison.Ordinal)
            && l.Contains($"the app (PID {app}) ended before its dump was over", StringComparison.Ordinal));
        pod.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.False(File.Exists(got), $"the process that took the app's PID got crik's signals for the app: {(File.Exists(got) ? File.ReadAllText(got) : "")}");
    }
}

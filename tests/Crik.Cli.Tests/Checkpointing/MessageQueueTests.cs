using System.Text.RegularExpressions;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// CRIU 4.2 cannot dump a POSIX message queue, and its log says only "Can't lookup mount=N": crik
/// names the process, the descriptor and the reason instead, before CRIU runs and in crik check.
/// </summary>
public partial class MessageQueueTests
{
    private static readonly string[] App = ["python3", Paths.App("mqueue-holder.py")];

    [CriuFact]
    public void AnAppHoldingAMessageQueueFailsItsCheckpointWithOneClearLineAndGetsItsSigterm()
    {
        using var pods = new Pods();
        using CrikRun run = pods.Start(App);
        (int fd, int pid) = Holder(run.WaitForLine("holding fd="));
        run.Signal(Native.SIGTERM);
        run.WaitForLine("app-got-term");
        Assert.Equal(7, run.WaitForExit());
        string error = run.WaitForLine("Checkpoint 1 failed", stderr: true);
        Assert.Contains($"PID {pid} (python3) holds POSIX message queue /crik-test-queue on fd {fd}: "
            + "CRIU cannot checkpoint POSIX message queues", error, StringComparison.Ordinal);
        Assert.Empty(pods.Committed());
        Assert.False(File.Exists(Path.Combine(pods.ImageDir, "logs", "dump-000001.log")), "crik should fail before running criu dump");
    }

    [CriuFact]
    public void CrikCheckInThePodNamesTheProcessHoldingAMessageQueue()
    {
        using var pods = new Pods();
        using CrikRun run = pods.Start(App);
        (int fd, int pid) = Holder(run.WaitForLine("holding fd="));
        (int code, string output, string error) = CrikCommand.RunInPod(run.CrikPid, ["check", "--config", pods.ConfigPath]);
        Assert.True(code == 1, output + error);
        Assert.Contains($"PROBLEM PID {pid} (python3) holds POSIX message queue /crik-test-queue on fd {fd}: "
            + "CRIU cannot checkpoint POSIX message queues", output, StringComparison.Ordinal);
        run.Signal(Native.SIGKILL);
    }

    private static (int Fd, int Pid) Holder(string line)
    {
        Match match = HoldingLine().Match(line);
        Assert.True(match.Success, line);
        return (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value));
    }

    [GeneratedRegex(@"^holding fd=(\d+) pid=(\d+)$")]
    private static partial Regex HoldingLine();
}

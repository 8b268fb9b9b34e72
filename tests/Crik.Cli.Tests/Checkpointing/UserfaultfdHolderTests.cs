using System.Text.RegularExpressions;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// CRIU cannot dump a userfaultfd, and its log says only "Can't dump file 3 of that type [600]": an app that handles its own
/// page faults gets a checkpoint failure that names the process, the descriptor and what to do, before CRIU runs.
/// </summary>
public partial class UserfaultfdHolderTests
{
    [CriuFact]
    public void AnAppHoldingAUserfaultfdFailsItsCheckpointWithOneClearLine()
    {
        using var pods = new Pods();
        using CrikRun run = pods.Start("python3", Paths.App("userfaultfd-holder.py"));
        Match holding = HoldingLine().Match(run.WaitForLine("holding fd="));
        Assert.True(holding.Success, run.Transcript);
        Poll.Until(() => File.Exists(run.ControlSocket), $"crik's control socket\n{run.Transcript}");
        (int code, string output, string error) = CrikCommand.Run(["checkpoint"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = run.ControlSocket });
        Assert.True(code != 0, output + error);
        string failed = run.WaitForLine("Checkpoint 1 failed", stderr: true);
        Assert.Contains($"PID {holding.Groups[2].Value} (python3) holds a userfaultfd on fd {holding.Groups[1].Value}: "
            + "CRIU cannot checkpoint a userfaultfd", failed, StringComparison.Ordinal);
        Assert.Contains("set trackWrites: off", failed, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(pods.ImageDir, "logs", "dump-000001.log")), "crik should fail before running criu dump");
        Assert.Empty(pods.Committed());
        run.Signal(Native.SIGKILL);
    }

    [GeneratedRegex(@"^holding fd=(\d+) pid=(\d+)$")]
    private static partial Regex HoldingLine();
}

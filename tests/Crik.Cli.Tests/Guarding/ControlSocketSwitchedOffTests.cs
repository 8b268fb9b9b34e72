using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>A control socket that fails in a way nobody expected is switched off; SIGTERM still checkpoints.</summary>
public sealed class ControlSocketSwitchedOffTests
{
    [CriuFact]
    public void AFailedRequestSwitchesTheControlSocketOffAndSigtermStillCheckpoints()
    {
        using var pods = new Pods();
        using CrikRun pod = pods.StartWith(Faults.At("crik control socket"), "sh", "-c", Faults.Counter);
        pod.WaitForLine("count 3");

        (int code, _, string error) = CrikCheckpoint(pod); // the request the fault hit
        Assert.Equal(1, code);
        Assert.Contains("crik closed the connection without an answer", error, StringComparison.Ordinal);
        string warning = Faults.SwitchedOffOnce(pod, "control socket is");
        Assert.Contains($"crik stopped listening at {pod.ControlSocket}, so crik checkpoint can no longer ask this pod for a checkpoint", warning,
            StringComparison.Ordinal);
        (code, _, error) = CrikCheckpoint(pod);
        Assert.Equal(1, code);
        Assert.Contains($"no crik is listening at {pod.ControlSocket}", error, StringComparison.Ordinal);
        Faults.AppGoesOn(pod);
        Assert.Empty(pods.Committed());

        Pods.CheckpointAndStop(pod);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.DoesNotContain("app-got-term", pod.Stdout);
        Faults.NoCrash(pod);
    }

    private static (int Code, string Output, string Error) CrikCheckpoint(CrikRun pod) =>
        CrikCommand.Run(["checkpoint"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = pod.ControlSocket });
}

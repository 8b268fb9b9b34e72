using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>Every signal a user can send reaches the app, as with dumb-init's test suite.</summary>
public class SignalForwardingTests
{
    [NamespaceTheory]
    [InlineData(Native.SIGHUP)]
    [InlineData(Native.SIGINT)]
    [InlineData(Native.SIGQUIT)]
    [InlineData(Native.SIGUSR1)]
    [InlineData(Native.SIGUSR2)]
    [InlineData(Native.SIGALRM)]
    [InlineData(Native.SIGWINCH)]
    [InlineData(Native.SIGCONT)]
    public void Pid1CrikForwardsTheSignalToTheApp(int signal)
    {
        using var run = CrikRun.Start(["run", "--", "python3", Paths.App("signal-printer.py")]);
        run.WaitForLine("ready");
        run.Signal(signal);
        run.WaitForLine($"signal {signal}");
        run.Signal(Native.SIGTERM);
        run.WaitForLine($"signal {Native.SIGTERM}");
        Assert.Equal(0, run.WaitForExit());
    }

    [NamespaceFact]
    public void WithoutCheckpointingSigtermGoesToTheAppAndItsCodeIsCriksCode()
    {
        using var run = CrikRun.Start(["run", "--", "sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done"]);
        run.WaitForLine("ready");
        run.Signal(Native.SIGTERM);
        run.WaitForLine("got-term");
        Assert.Equal(3, run.WaitForExit());
    }

    [NamespaceFact]
    public void SignalsReachTheWholeProcessGroupOfTheApp()
    {
        // The parent's trap is set before the child starts, so that it is there once the child says it is ready.
        string script = "trap 'echo parent-got-usr1' USR1; "
            + "sh -c 'trap \"echo child-got-usr1; exit 0\" USR1; echo child-ready; while :; do sleep 0.05; done' & wait; wait";
        using var run = CrikRun.Start(["run", "--", "sh", "-c", script]);
        run.WaitForLine("child-ready");
        run.Signal(Native.SIGUSR1);
        run.WaitForLine("child-got-usr1");
        run.WaitForLine("parent-got-usr1");
        Assert.Equal(0, run.WaitForExit());
    }

    [Fact]
    public void NotAsPid1CrikForwardsSignalsToo()
    {
        using var run = CrikRun.Start(["run", "--", "python3", Paths.App("signal-printer.py")], asPid1: false);
        run.WaitForLine("ready");
        run.Signal(Native.SIGUSR1);
        run.WaitForLine($"signal {Native.SIGUSR1}");
        run.Signal(Native.SIGTERM);
        Assert.Equal(0, run.WaitForExit());
    }
}

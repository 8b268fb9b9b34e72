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

    /// <summary>
    /// A SIGTERM's checkpoint holds the signals that come meanwhile (the app gets its SIGTERM first, should it not be committed).
    /// Committed, the app stops without them: crik says so in one line; before, they were dropped without a word.
    /// </summary>
    [CriuFact]
    public void ASignalThatComesDuringTheSigtermsCheckpointIsSaidNotForwardedOnceItIsCommitted()
    {
        using var pods = new Support.Pods();
        using CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_COMMIT_PAUSE_MS"] = "3000" }, "python3", Paths.App("signal-printer.py"));
        pod.WaitForLine("ready");
        pod.Signal(Native.SIGTERM);
        pod.WaitForLine("pausing 3000 ms at CRIK_TEST_COMMIT_PAUSE_MS", stderr: true);
        pod.Signal(Native.SIGUSR1);
        pod.Signal(Native.SIGHUP);
        Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        // Two standard signals pending at once reach crik lowest number first: the line names both, in either order.
        string said = Assert.Single(pod.Stderr, l => l.Contains("Did not forward ", StringComparison.Ordinal));
        Assert.Contains("which came while the app was being checkpointed for SIGTERM", said, StringComparison.Ordinal);
        Assert.Contains("SIGUSR1", said, StringComparison.Ordinal);
        Assert.Contains("SIGHUP", said, StringComparison.Ordinal);
        Assert.DoesNotContain($"signal {Native.SIGUSR1}", pod.Stdout);
    }
}

using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Xunit;

namespace Crik.Cli.Tests.Criu;

/// <summary>
/// A criu asked to stop at its timeout that ends well all the same has done all of its work (a dump's last look for the stop
/// comes before it is done with the app): the checkpoint it took is not thrown away, nor a restored app that runs killed.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CriuResultTests
{
    [Fact]
    public void ACriuThatEndsWellAsItIsStoppedAtItsTimeoutSucceeded()
    {
        WaitStatus well = WaitStatus.FromExitCode(0);
        Assert.False(CriuResult.CountsAsTimedOut(well, stoppedAtTimeout: true));
        Assert.True(new CriuResult(well, TimeSpan.FromSeconds(30), CriuResult.CountsAsTimedOut(well, true), "").Succeeded);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(0, (int)Signal.SIGKILL)]
    [InlineData(0, (int)Signal.SIGTERM)]
    public void ACriuStoppedAtItsTimeoutThatDidNotEndWellTimedOut(int exitCode, int signal)
    {
        WaitStatus ended = signal == 0 ? WaitStatus.FromExitCode(exitCode) : WaitStatus.FromSignal((Signal)signal);
        Assert.True(CriuResult.CountsAsTimedOut(ended, stoppedAtTimeout: true));
        Assert.False(new CriuResult(ended, TimeSpan.FromSeconds(30), true, "").Succeeded);
        Assert.StartsWith("criu did not finish within 30 s and was stopped", new CriuResult(ended, TimeSpan.FromSeconds(30), true, "x").Describe(TimeSpan.FromSeconds(30)), StringComparison.Ordinal);
    }

    [Fact]
    public void ACriuNotStoppedNeverTimedOut() => Assert.False(CriuResult.CountsAsTimedOut(WaitStatus.FromExitCode(1), stoppedAtTimeout: false));
}

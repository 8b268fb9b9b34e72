using Crik.Cli.Interop;
using Xunit;

namespace Crik.Cli.Tests.Interop;

/// <summary>
/// The numbers kill takes as more than one process (0: crik's group; -1: every process crik may signal) or as an init's or
/// crik's own are never sent: a PID from a damaged record must not have crik signal everything, or itself. Signal 0 checks
/// without delivering anything, so each case would pass kill's own check and fail here without the refusal.
/// </summary>
[Trait("Category", "Unit")]
public class SignalTargetTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1)]
    public void ANumberThatMeansAGroupEveryoneOrAnInitIsNotSignalled(int pid) => Assert.False(Posix.TrySignal(pid, 0));

    [Fact]
    public void CriksOwnPidAndGroupAreNotSignalled()
    {
        Assert.False(Posix.TrySignal(Environment.ProcessId, 0));
        Assert.False(Posix.TrySignal(-Environment.ProcessId, 0));
    }

    [Fact]
    public void AChildIsSignalled()
    {
        using var child = System.Diagnostics.Process.Start("sleep", "30");
        try
        {
            Assert.True(Posix.TrySignal(child.Id, 0));
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }
}

using System.Diagnostics;
using Crik.Cli.Processes;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Processes;

/// <summary>
/// crik takes what a restored app holds only once every thread of it has stopped: a process with two threads that sleep is
/// not stopped, and is once a SIGSTOP has stopped both; a process that is gone has nothing left to run.
/// </summary>
public sealed class AllThreadsStoppedTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200), Long = TimeSpan.FromSeconds(10);

    [Fact]
    public void AProcessIsStoppedOnlyOnceEachOfItsThreadsIs()
    {
        using Process app = Process.Start(new ProcessStartInfo("python3",
            ["-c", "import threading, time; threading.Thread(target=time.sleep, args=(100,)).start(); print('ready', flush=True); time.sleep(100)"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            Assert.Equal("ready", app.StandardOutput.ReadLine());
            Assert.Equal(2, ProcessTree.Threads(app.Id).Count());
            Assert.False(AllThreadsStopped.Within([app.Id], Short));
            Native.Signal(app.Id, Native.SIGSTOP);
            Assert.True(AllThreadsStopped.Within([app.Id], Long));
            Native.Signal(app.Id, Native.SIGCONT);
            Assert.False(AllThreadsStopped.Within([app.Id], Short));
        }
        finally
        {
            Native.TrySignal(app.Id, Native.SIGKILL);
            app.WaitForExit();
        }
    }

    [Fact]
    public void AProcessThatIsGoneHasNothingLeftToRun()
    {
        using Process gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        gone.WaitForExit();
        Assert.True(AllThreadsStopped.Within([gone.Id], Short));
    }
}

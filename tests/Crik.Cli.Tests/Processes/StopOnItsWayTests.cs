using System.Diagnostics;
using Crik.Cli.Processes;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Processes;

/// <summary>
/// A process that waits in vfork for a child stopped before its exec shows 'D' for as long as the child is stopped;
/// frozen with the rest of the app, it is not running (the lease's watchdog would otherwise stop it again every look
/// and say the pod woke it). With a second thread, the kernel either keeps the SIGSTOP pending or has the other thread
/// take it and stop the group: either way the process stops before it runs its own code again.
/// </summary>
public sealed class StopOnItsWayTests : IDisposable
{
    private readonly TempDirectory _build = new();

    public void Dispose() => _build.Dispose();

    [Theory]
    [InlineData("")]
    [InlineData("thread")]
    public void AFrozenAppWhoseParentWaitsInVforkForItsStoppedChildIsNotRunning(string thread)
    {
        string binary = CompiledApp.Build("vfork-waiting.c", Path.Combine(_build.Path, "vfork-waiting"), "-pthread");
        using Process app = Process.Start(new ProcessStartInfo("setsid", [binary, thread])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            Assert.Equal("ready", app.StandardOutput.ReadLine());
            ProcessTable.Entry child = Poll.Until(() => ProcessTable.ChildrenOf(app.Id).SingleOrDefault(), "the vforked child");
            Poll.Until(() => State(app.Id) == 'D' && State(child.Pid) == 'S' ? "waiting" : null, "the parent to wait in vfork");
            var tree = new AppTree(new TestHostChild(app.Id));
            Assert.Equal([app.Id, child.Pid], tree.Running().Order());

            tree.Signal(Crik.Cli.Interop.Signal.SIGSTOP);
            Poll.Until(() => State(child.Pid) == 'T' ? "stopped" : null, "the child to stop");
            Assert.Equal('D', State(app.Id));
            Assert.Empty(tree.Running());

            tree.Signal(Crik.Cli.Interop.Signal.SIGCONT); // flushes the pending SIGSTOP and wakes the stopped threads
            Poll.Until(() => State(child.Pid) == 'S' ? "running" : null, "the child to run again");
            Assert.Equal([app.Id, child.Pid], tree.Running().Order());

            app.StandardInput.WriteLine("go"); // the child execs: the parent goes on
            Assert.Equal("on", app.StandardOutput.ReadLine());
        }
        finally
        {
            Native.TrySignal(-app.Id, Native.SIGKILL);
            app.WaitForExit();
        }
    }

    private static char State(int pid) => ProcessTable.All().SingleOrDefault(e => e.Pid == pid)?.State ?? '?';
}

using System.Diagnostics;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Xunit;

namespace Crik.Cli.Tests.Processes;

/// <summary>crik kills processes and frees their memory beside their exit (<see cref="DyingMemory"/>).</summary>
[Trait("Category", "Unit")]
public sealed class DyingMemoryTests
{
    [Fact]
    public void AStoppedProcessIsKilledAndItsMemoryFreedByCrik()
    {
        int released = -1;
        Process? process = null;
        Exception? failed = null;
        // crik's call must come before the dying process gives its memory up. Here both share one core: the process, woken
        // by its SIGKILL, could take that core from the thread about to make the call, but not once it is at SCHED_IDLE.
        var thread = new Thread(() =>
        {
            try
            {
                int cpu = Thread.GetCurrentProcessorId();
                string self = Path.GetFileName(new FileInfo("/proc/thread-self").LinkTarget!); // PID/task/TID
                Run("taskset", $"-pc {cpu} {self}");
                process = StartStopped("taskset", $"-c {cpu} sleep 300");
                using var dying = new DyingMemory([process.Id]);
                released = dying.KillAndRelease();
            }
            catch (Exception e)
            {
                failed = e;
            }
        });
        thread.Start();
        thread.Join();
        using (process)
        {
            Assert.Null(failed);
            Assert.Equal(1, released);
            Assert.True(process!.WaitForExit(10_000));
        }
    }

    [Fact]
    public void AProcessGoneIsLeftAloneAndOneCrikCannotFreeIsStillKilled()
    {
        using Process process = StartStopped("sleep", "300");
        using (var dying = new DyingMemory([int.MaxValue, process.Id]))
        {
            _ = dying.KillAndRelease(); // freed by crik or by the kernel, whichever comes first
        }
        Assert.True(process.WaitForExit(10_000));
    }

    private static Process StartStopped(string command, string arguments)
    {
        Process process = Process.Start(new ProcessStartInfo(command, arguments))!;
        // Wait for the exec, then stop it as a dump leaves the app.
        var waited = Stopwatch.StartNew();
        while (ProcessDescriptors.Name(process.Id) != "sleep" && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(5);
        }
        Posix.TrySignal(process.Id, Signal.SIGSTOP);
        while (ProcFiles.StatFields(process.Id) is not ["T", ..] && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(5);
        }
        Assert.Equal("T", ProcFiles.StatFields(process.Id)[0]);
        return process;
    }

    private static void Run(string command, string arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true })!;
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}

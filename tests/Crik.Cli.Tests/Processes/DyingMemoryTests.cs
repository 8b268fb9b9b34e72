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
        // crik's call must come before the dying process gives its memory up: here both share one core, the process at
        // SCHED_IDLE from its start. Another test's thread on that core can still let it run first, now and then: a few
        // tries, of which one freed by crik is enough (none is when crik does not make the call).
        var released = new List<int>();
        for (int attempt = 0; attempt < 5 && !released.Contains(1); attempt++)
        {
            released.Add(KillOnOneCore());
        }
        Assert.Contains(1, released);
    }

    private static int KillOnOneCore()
    {
        int released = -1;
        Process? process = null;
        Exception? failed = null;
        var thread = new Thread(() =>
        {
            try
            {
                int cpu = Thread.GetCurrentProcessorId();
                string self = Path.GetFileName(new FileInfo("/proc/thread-self").LinkTarget!); // PID/task/TID
                Run("taskset", $"-pc {cpu} {self}");
                process = StartStopped("taskset", $"-c {cpu} chrt -i 0 sleep 300");
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
            Assert.True(process!.WaitForExit(10_000));
        }
        return released;
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

using System.Diagnostics;
using Crik.Cli.Processes;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Processes;

/// <summary>
/// What a checkpoint takes from the held app comes from one read of its tree (<see cref="HeldTree"/>): every process of it, each
/// one's areas as its maps give them, its threads, and its largest private area; a process it does not hold has no areas to give.
/// </summary>
public sealed class HeldTreeTests
{
    private const long AreaBytes = 96L << 20;

    [Fact]
    public void OneReadGivesEveryProcessItsAreasItsThreadsAndItsLargestArea()
    {
        using Process app = Process.Start(new ProcessStartInfo("python3",
            ["-c", $"import mmap, subprocess, threading, time; m = mmap.mmap(-1, {AreaBytes}, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS); m[0] = 1; child = subprocess.Popen(['sleep', '100']); "
                + "threading.Thread(target=time.sleep, args=(100,)).start(); print(child.pid, flush=True); time.sleep(100)"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            int child = int.Parse(app.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
            // Held as CRIU holds it: every process stopped, so that no area changes between two reads. The child may still be
            // loading its libraries, and a signal is delivered when its process next runs: the test waits for both to stop.
            Native.Signal(app.Id, Native.SIGSTOP);
            Native.Signal(child, Native.SIGSTOP);
            Poll.Until(() => ProcessTable.All().Count(e => (e.Pid == app.Id || e.Pid == child) && e.State == 'T') == 2, "the app and its child to stop");

            HeldTree held = HeldTree.Read(app.Id);

            Assert.Equal([.. new[] { app.Id, child }.Order()], held.Processes);
            Assert.Equal(MemoryMaps.Read(app.Id), held.AreasOf(app.Id));
            Assert.Equal(MemoryMaps.Read(child), held.AreasOf(child));
            Assert.True(held.LargestPrivateArea >= AreaBytes, $"{held.LargestPrivateArea}");
            List<int> ids = held.PidsAndThreads();
            Assert.Equal(3, ids.Count); // the app, its second thread and its child
            Assert.Contains(child, ids);
            Assert.Throws<IOException>(() => held.AreasOf(Environment.ProcessId));
            Assert.Empty(held.AreasOrNone(Environment.ProcessId));
        }
        finally
        {
            Native.TrySignal(app.Id, Native.SIGKILL);
            app.WaitForExit();
        }
    }
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>
/// With trackWrites on, a checkpoint that can take what the app did not write from the previous one first copies the
/// pages written since while the app runs on, and only then has CRIU freeze the app and dump what it wrote after that
/// copy. The app (apps/page-order-app.c) rewrites its pages in a fixed order, each with a number one higher than the
/// last, and checks each page holds the value it last wrote there: a restored page taken from the wrong one of CRIU's
/// dump, crik's copies and the previous checkpoint shows as "broken". The seam pauses widen the windows in which the app
/// writes between the scan and the read of the copy's first pass (so that a second pass follows), and between the copy and
/// the freeze.
/// </summary>
public sealed class CopyWhileRunningTests : IDisposable
{
    private static readonly IReadOnlyDictionary<string, string> WidenedWindows = PageOrderApp.WidenedWindows;

    /// <summary>
    /// The app's pace in RestoresWhole: slow enough that more than 16 MiB of its 64 are still unwritten at the freeze after
    /// 2 s of sleep, a copy with widened windows and a slow machine's commit (at 4000 a second it rewrote them all in 4.1 s).
    /// </summary>
    private const string PagesPerSecond = "2000";

    private readonly TempDirectory _build = new();

    [WrittenOnlyFact]
    public void WhatTheAppWritesWhileItsWritesAreCopiedIsNotLostLazily() => RestoresWhole("", WidenedWindows);

    [WrittenOnlyFact]
    public void WhatTheAppWritesWhileItsWritesAreCopiedIsNotLostEagerly() => RestoresWhole("lazyRestore: off\n", WidenedWindows);

    [WrittenOnlyFact]
    public void WithoutPausesTheCopyAlsoRestoresWhole() => RestoresWhole("", new Dictionary<string, string>());

    /// <summary>
    /// Checkpoint 2 runs on after its copy: what the app wrote between that copy's scan and the freeze (widened here) is read
    /// by checkpoint 2's dump and left written, not walked again with the app stopped; checkpoint 3's copy takes it up.
    /// </summary>
    [WrittenOnlyFact]
    public void WritesBetweenOneCopyAndItsFreezeReachTheNextCheckpoint() => RestoresWhole("lazyRestore: off\n", WidenedWindows, runningCheckpoints: 2);

    /// <summary>
    /// Before a checkpoint after which the app runs on, the chunks of the copy are stored on crik's threads that yield the CPU
    /// to the app (at nice 10): the first checkpoint's copy of all of its memory, and the next's of what it wrote since.
    /// </summary>
    [WrittenOnlyFact]
    public void TheChunksCopiedBeforeACheckpointAfterWhichTheAppRunsOnYieldTheCpuToIt()
    {
        string app = PageOrderApp.Build(_build);
        using var pods = new Pods("trackWrites: on\n");
        using CrikRun pod = pods.Start(app, "16", "1000");
        pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
        Pods.CheckpointOnDemand(pod, 1);
        pod.WaitForLine("of the app's memory while it ran, all of it", stderr: true);
        Assert.Equal(10, ProcessTable.NiceOf(ProcessTable.ThreadNamed(pod.CrikPid, "crik yielding 0") ?? throw new InvalidOperationException(pod.Transcript)));
        Thread.Sleep(TimeSpan.FromSeconds(1)); // about 1000 pages written since
        Pods.CheckpointOnDemand(pod, 2);
        pod.WaitForLine("the app wrote since checkpoint 1 while it ran", stderr: true);
        string? yielding = ProcessTable.ThreadNamed(pod.CrikPid, "crik yielding 0");
        Assert.True(yielding is not null, pod.Transcript);
        Assert.Equal(10, ProcessTable.NiceOf(yielding));
        PageOrderApp.AssertNothingBroken(pod);
        pod.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// The app opens a file for direct I/O between two passes of the copy: a read of it lands in the app's memory without a page
    /// fault, so one in flight across a pass's scan would leave a page the copy took stale, counted as unwritten. The second pass
    /// lets go of the process and the dump reads all of the app's memory.
    /// </summary>
    [WrittenOnlyFact]
    public void AFileOpenedForDirectIoBetweenTwoPassesOfTheCopyHasTheDumpReadAllMemory()
    {
        using var pods = new Pods("trackWrites: on\n");
        string trigger = Path.Combine(pods.Root, "open-direct"), data = Path.Combine(pods.Root, "data");
        File.WriteAllBytes(data, new byte[1 << 20]);
        string script = string.Join('\n',
            "import os, time",
            "memory = bytearray(os.urandom(16 << 20))",
            "print('ready', flush=True)",
            $"while not os.path.exists('{trigger}'):",
            "    memory[0] = (memory[0] + 1) % 256",
            "    time.sleep(0.01)",
            $"fd = os.open('{data}', os.O_RDONLY | os.O_DIRECT)",
            "print('direct open', flush=True)",
            "while True: time.sleep(1)");
        var paused = new Dictionary<string, string> { ["CRIK_TEST_COPY_READ_PAUSE_MS"] = "2000" };
        using (CrikRun pod = pods.StartWith(paused, "python3", "-c", script))
        {
            pod.WaitForLine("ready", TimeSpan.FromSeconds(60));
            Pods.CheckpointOnDemand(pod, 1);
            Pods.CheckpointAndStop(pod, meanwhile: () =>
            {
                // Checkpoint 1's copy paused too: the second pause is checkpoint 2's first pass.
                pod.WaitForLine(_ => pod.Stderr.Count(l => l.Contains("at CRIK_TEST_COPY_READ_PAUSE_MS", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(60), stderr: true);
                File.WriteAllText(trigger, "");
                pod.WaitForLine("direct open", TimeSpan.FromSeconds(30));
            });
            Assert.True(pod.Stderr.Any(l => l.Contains("open for direct I/O (O_DIRECT) since the copy of what it wrote began", StringComparison.Ordinal)), pod.Transcript);
        }
        using CrikRun restored = pods.Start("python3", "-c", script);
        restored.WaitForLine("Restored checkpoint 2 ", TimeSpan.FromSeconds(60), stderr: true);
        restored.Signal(Native.SIGKILL);
    }

    public void Dispose() => _build.Dispose();

    private void RestoresWhole(string config, IReadOnlyDictionary<string, string> environment, int runningCheckpoints = 1)
    {
        string app = PageOrderApp.Build(_build);
        using var pods = new Pods("trackWrites: on\n" + config);
        using (CrikRun first = pods.StartWith(new Dictionary<string, string>(environment), app, "64", PagesPerSecond))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            for (int generation = 1; generation <= runningCheckpoints; generation++)
            {
                Pods.CheckpointOnDemand(first, generation);
                Thread.Sleep(TimeSpan.FromSeconds(2)); // about a quarter of the app's 16384 pages written since
            }
            Pods.CheckpointAndStop(first);
            PageOrderApp.AssertNothingBroken(first);
            string copied = first.WaitForLine($"the app wrote since checkpoint {runningCheckpoints} while it ran", stderr: true);
            Assert.True(PageOrderApp.Mebibytes(copied, "Copied ") > 8, copied);
            if (environment.ContainsKey("CRIK_TEST_COPY_READ_PAUSE_MS"))
            {
                // The copy's first pass took longer than that pause: a second copied what the app wrote meanwhile.
                Assert.Contains(first.Stderr, l => l.Contains("the app wrote during the copy's pass 1", StringComparison.Ordinal));
            }
            string taken = first.WaitForLine($"CRIU read only what the app wrote since checkpoint {runningCheckpoints}:", stderr: true);
            Assert.True(PageOrderApp.Mebibytes(taken, ": ") > 16, taken);
        }
        using CrikRun restored = pods.Start(app, "64", PagesPerSecond);
        restored.WaitForLine($"Restored checkpoint {runningCheckpoints + 1}", stderr: true);
        // The second round the app finishes after the restore has checked every one of its pages.
        PageOrderApp.ChecksEveryPage(restored);
        restored.Signal(Native.SIGKILL);
    }
}

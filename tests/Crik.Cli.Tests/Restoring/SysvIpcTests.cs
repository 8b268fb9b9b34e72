using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// crik starts the app in an IPC namespace of its own so that CRIU takes the app's SysV objects with it: a shared memory
/// segment (here holding the app's counter), a message queue and its message, a semaphore's value, and the namespace's
/// settings. A new pod's app has them all, the counter going on from the checkpoint's.
/// </summary>
public sealed class SysvIpcTests : IDisposable
{
    private const string AsSet = "ipc sem 7 queued 1 bytes 32 msgmnb 12345 text kept across pods";

    private readonly TempDirectory _build = new();

    [CriuTheory]
    [InlineData("lazyRestore: off\n")]
    [InlineData("lazyRestore: on\n")]
    public void TheAppsSysvObjectsAndSettingsComeBackInTheNewPod(string config)
    {
        string app = CompiledApp.Build("sysv-ipc.c", Path.Combine(_build.Path, "sysv-ipc"));
        using var pods = new Pods(config);
        int last;
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
            last = Pods.Counts(first)[^1];
            Assert.Contains(AsSet, first.Stdout);
        }
        // CRIU reads the namespace from its own process, entering it and coming back (criu-patches/0005).
        Assert.Contains("in criu's own process", pods.DumpLog(1), StringComparison.Ordinal);
        using CrikRun second = pods.Start(app);
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 3);
        // The segment held the counter: it goes on from the checkpoint's (the last count the old pod printed, or the one
        // after it when the freeze came between the count and its line), one by one.
        List<int> counts = Pods.Counts(second);
        Assert.True(counts[0] - last is 0 or 1 && counts[^1] == counts[0] + counts.Count - 1, $"last before: {last}\n{second.Transcript}");
        Assert.All(second.Stdout.Where(l => l.StartsWith("ipc ", StringComparison.Ordinal)), l => Assert.Equal(AsSet, l));
        second.Signal(Native.SIGKILL);
    }

    public void Dispose() => _build.Dispose();
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.PreDumping;

/// <summary>
/// preDumpInterval: where the kernel tracks dirty memory, crik pre-dumps the running app and a
/// checkpoint dumps only what changed since, into files it then makes whole and stores as chunks.
/// </summary>
public class PreDumpTests
{
    private static readonly string[] App = ["python3", Paths.App("chunky-memory.py"), "48"];

    /// <summary>The test mode that pre-dumps with whole dumps, for kernels without dirty-memory tracking.</summary>
    private static readonly Dictionary<string, string> WithoutTracking = new() { ["CRIK_TEST_PRE_DUMP_WITHOUT_DIRTY_TRACKING"] = "1" };

    private static bool KernelTracksDirtyMemory => HostCommand.Run("criu", "check", "--feature", "mem_dirty_track").ExitCode == 0;

    [CriuFact]
    public void WithoutDirtyTrackingCrikSaysSoOnceAndCheckpointsAsBefore()
    {
        using var pods = new Pods("preDumpInterval: 1s\n");
        using CrikRun pod = pods.Start("sh", "-c", Pods.Counter());
        pod.WaitForLine("count 3");
        if (KernelTracksDirtyMemory)
        {
            pod.WaitForLine("Pre-dumped the app", stderr: true);
            Pods.CheckpointAndStop(pod);
            return;
        }
        Thread.Sleep(2500); // past two pre-dump intervals
        string said = Assert.Single(pod.Stderr, l => l.Contains("preDumpInterval is set", StringComparison.Ordinal));
        Assert.Contains("does not track dirty memory", said, StringComparison.Ordinal);
        Assert.Contains("CONFIG_MEM_SOFT_DIRTY", said, StringComparison.Ordinal);
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("Pre-dump", StringComparison.Ordinal));
        Pods.CheckpointAndStop(pod);
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("on top of", StringComparison.Ordinal));
        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint", stderr: true);
        next.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void ACheckpointOnTopOfPreDumpsIsMadeWholeAndRestoresAcrossThreePods()
    {
        using var pods = new Pods("preDumpInterval: 1s\ncheckpointTimeout: 60s\n");
        using (CrikRun first = pods.StartWith(WithoutTracking, App))
        {
            first.WaitForLine("allocated 48", TimeSpan.FromSeconds(60));
            int from = first.Stderr.Count;
            first.WaitForLine(_ => first.Stderr.Skip(from).Count(l => l.Contains("Pre-dumped the app", StringComparison.Ordinal)) >= 2,
                TimeSpan.FromSeconds(60), stderr: true);
            Pods.CheckpointAndStop(first);
            Assert.Contains(first.Stderr, l => l.Contains("pre-dumps", StringComparison.Ordinal) && l.Contains("Checkpointing the app", StringComparison.Ordinal));
        }
        // What is stored needs nothing of the node it was taken on: the pre-dumps are gone with the pod.
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), "crik-pre-dumps-*"));
        long imageBytes = (long)pods.Manifest(pods.Committed().Last())["imageBytes"]!;
        Assert.True(imageBytes > 48 << 20, $"{imageBytes} bytes of images: the dump's pages were not made whole");

        using (CrikRun second = pods.StartWith(WithoutTracking, App))
        {
            second.WaitForLine("Restored checkpoint", stderr: true);
            Pods.AppIsWhole(second);
            // A restored app is pre-dumped and checkpointed on top of its pre-dumps again.
            int from = second.Stderr.Count;
            second.WaitForLine(_ => second.Stderr.Skip(from).Any(l => l.Contains("Pre-dumped the app", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60), stderr: true);
            Pods.CheckpointAndStop(second);
        }
        using CrikRun third = pods.StartWith(WithoutTracking, App);
        third.WaitForLine("Restored checkpoint", stderr: true);
        Pods.AppIsWhole(third);
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WhenTheNodeHasNoRoomLeftForTheDumpOnPreDumpsTheSigtermCheckpointIsStreamedInstead()
    {
        using var pods = new Pods("preDumpInterval: 2s\ncheckpointTimeout: 60s\n");
        string tmp = Path.Combine(pods.Root, "tmp");
        Directory.CreateDirectory(tmp);
        HostCommand.MustRun("mount", "-t", "tmpfs", "-o", "size=160m,mode=0700", "crik-test-pre-dumps", tmp);
        try
        {
            var environment = new Dictionary<string, string>(WithoutTracking) { ["TMPDIR"] = tmp };
            using (CrikRun first = pods.StartWith(environment, App))
            {
                first.WaitForLine("allocated 48", TimeSpan.FromSeconds(60));
                int from = first.Stderr.Count;
                first.WaitForLine(_ => first.Stderr.Skip(from).Any(l => l.Contains("Pre-dumped the app", StringComparison.Ordinal)),
                    TimeSpan.FromSeconds(60), stderr: true);
                // Another tenant of the node's disk takes what is left, before the next pre-dump.
                HostCommand.Run("dd", "if=/dev/zero", $"of={tmp}/filler", "bs=1M", "count=200");
                Pods.CheckpointAndStop(first);
                Assert.Contains(first.Stderr, l => l.Contains("The dump on top of the pre-dumps failed", StringComparison.Ordinal)
                    && l.Contains("through crik instead", StringComparison.Ordinal));
            }
            using CrikRun second = pods.Start(App);
            second.WaitForLine("Restored checkpoint", stderr: true);
            Pods.AppIsWhole(second);
            second.Signal(Native.SIGKILL);
        }
        finally
        {
            HostCommand.Run("umount", "-l", tmp);
        }
    }

    [DirtyTrackingFact]
    public void WithTheKernelsTrackingACheckpointOnTopOfPreDumpsRestoresWhole()
    {
        using var pods = new Pods("preDumpInterval: 1s\ncheckpointTimeout: 60s\n");
        using (CrikRun first = pods.Start(App))
        {
            first.WaitForLine("Pre-dumping the app every", stderr: true);
            first.WaitForLine("allocated 48", TimeSpan.FromSeconds(60));
            int from = first.Stderr.Count;
            first.WaitForLine(_ => first.Stderr.Skip(from).Count(l => l.Contains("Pre-dumped the app", StringComparison.Ordinal)) >= 2,
                TimeSpan.FromSeconds(60), stderr: true);
            Pods.CheckpointAndStop(first);
            Assert.Contains(first.Stderr, l => l.Contains("on top of", StringComparison.Ordinal));
        }
        using CrikRun second = pods.Start(App);
        second.WaitForLine("Restored checkpoint", stderr: true);
        Pods.AppIsWhole(second);
        second.Signal(Native.SIGKILL);
    }
}

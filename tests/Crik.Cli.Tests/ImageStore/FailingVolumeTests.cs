using System.Diagnostics;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// A network volume whose reads fail for a while (an NFS server or a CSI driver's FUSE mount away: EIO, ESTALE, ETIMEDOUT)
/// says nothing of the checkpoint on it: a new pod that cannot read its manifest starts nothing, waits for lockWait and
/// exits 125, and the checkpoint stays for the next pod, which resumes it. The volume is a real FUSE mount of the image
/// directory (Apps/failing-volume.c) that fails every read of one file (the manifest, a pack) with the errno.
/// </summary>
public sealed class FailingVolumeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [CriuTheory]
    [InlineData(5, "Input/output error")]
    [InlineData(116, "Stale file handle")]
    public void AManifestTheVolumeCannotReadNowIsWaitedForNotSetAside(int errno, string error)
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 10");
            Pods.CheckpointAndStop(first);
        }

        string mount = Directory.CreateDirectory(Path.Combine(_dir.Path, "mount")).FullName;
        string config = _dir.Write("config.yaml", $"imageDir: {mount}\nlockWait: 2s\n");
        using (FailingVolume.Mount(_dir, pods.ImageDir, mount, "manifest.json", errno))
        {
            using CrikRun second = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", "echo app-ran"]);
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.DoesNotContain("app-ran", second.Stdout);
            string waiting = Assert.Single(second.Stderr, l => l.Contains($"Waiting for {mount}: crik cannot tell whether it holds a checkpoint", StringComparison.Ordinal));
            Assert.Contains(error, waiting, StringComparison.Ordinal);
            Assert.DoesNotContain(second.Stderr, l => l.Contains("set aside", StringComparison.Ordinal));
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.Empty(pods.SetAside());

        using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
        third.WaitForLine(_ => Pods.Counts(third).Count > 0, TimeSpan.FromSeconds(60));
        Assert.True(Pods.Counts(third)[0] > 0, $"the app started over instead of resuming\n{third.Transcript}");
    }

    /// <summary>
    /// The manifest reads, the packs do not: the restore stops before the app ran, because the store did not answer, and
    /// the checkpoint stays, its restore not counted, for the next pod.
    /// </summary>
    [CriuFact]
    public void APackTheVolumeCannotReadNowEndsThePodBeforeTheAppRunsAndTheCheckpointStays()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 10");
            Pods.CheckpointAndStop(first);
        }
        string pack = Path.GetFileName(Assert.Single(Directory.GetFiles(Path.Combine(pods.ImageDir, "packs"))));

        string mount = Directory.CreateDirectory(Path.Combine(_dir.Path, "mount")).FullName;
        string config = _dir.Write("config.yaml", $"imageDir: {mount}\nlockWait: 2s\nlazyStoreWait: 3s\n");
        using (FailingVolume.Mount(_dir, pods.ImageDir, mount, pack, errno: 5))
        {
            using CrikRun second = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", Pods.Counter()]);
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(90)));
            Assert.Empty(Pods.Counts(second));
            Assert.Contains(second.Stderr, l => l.Contains("because the image store did not answer", StringComparison.Ordinal)
                && l.Contains("Input/output error", StringComparison.Ordinal));
            Assert.DoesNotContain(second.Stderr, l => l.Contains("set aside", StringComparison.Ordinal));
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.Empty(pods.SetAside());

        using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
        third.WaitForLine(_ => Pods.Counts(third).Count > 0, TimeSpan.FromSeconds(60));
        Assert.True(Pods.Counts(third)[0] > 0, $"the app started over instead of resuming\n{third.Transcript}");
    }

    /// <summary>Apps/failing-volume.c, mounted until disposed.</summary>
    private sealed class FailingVolume : IDisposable
    {
        private readonly Process _process;
        private readonly string _mount;

        private FailingVolume(Process process, string mount)
        {
            _process = process;
            _mount = mount;
        }

        public static FailingVolume Mount(TempDirectory build, string backing, string mount, string failingName, int errno)
        {
            string binary = CompiledApp.Build("failing-volume.c", Path.Combine(build.Path, "failing-volume"), "-I/usr/include/fuse3", "-Wl,--no-as-needed", "-lfuse3");
            var process = Process.Start(binary, [backing, mount, failingName, errno.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            var volume = new FailingVolume(process, mount);
            Poll.Until(() => process.HasExited || IsMounted(mount), "the FUSE volume to be mounted");
            Assert.False(process.HasExited, "failing-volume exited before it mounted the volume (its error is in the test's output)");
            return volume;
        }

        private static bool IsMounted(string mount) =>
            File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == mount);

        public void Dispose()
        {
            using var unmount = Process.Start("umount", ["-l", _mount]);
            unmount.WaitForExit();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
            }
            _process.Dispose();
        }
    }
}

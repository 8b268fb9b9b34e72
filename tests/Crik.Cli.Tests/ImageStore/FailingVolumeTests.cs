using System.Diagnostics;
using System.Security.Cryptography;
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
    /// On a network volume crik holds its lock file open for writing: NFS (EFS, Filestore) refuses an exclusive flock on a file
    /// open only for reading (EBADF), and crik could not lock its image directory there. The FUSE mount is a network file
    /// system to crik, as a CSI driver's is.
    /// </summary>
    [CriuFact]
    public void OnANetworkVolumeTheLockFileIsHeldOpenForWriting()
    {
        using var pods = new Pods();
        Directory.CreateDirectory(pods.ImageDir);
        string mount = Directory.CreateDirectory(Path.Combine(_dir.Path, "mount")).FullName;
        string config = _dir.Write("config.yaml", $"imageDir: {mount}\n");
        using (FailingVolume.Mount(_dir, pods.ImageDir, mount, "no-such-file", 5))
        {
            using CrikRun pod = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", "echo app-ran; exec sleep 60"]);
            pod.WaitForLine("app-ran", TimeSpan.FromSeconds(60));
            string lockFile = Path.Combine(mount, ".lock");
            string fd = Assert.Single(Directory.GetFiles($"/proc/{pod.CrikPid}/fd"), f => LinkTargetOrNull(f) == lockFile);
            string flags = File.ReadLines($"/proc/{pod.CrikPid}/fdinfo/{Path.GetFileName(fd)}").Single(l => l.StartsWith("flags:", StringComparison.Ordinal));
            const int accessMode = 3, readWrite = 2;
            Assert.Equal(readWrite, Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & accessMode);
            pod.Signal(Native.SIGKILL);
            pod.WaitForExit(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Where a descriptor's link points; null once crik has closed it.</summary>
    private static string? LinkTargetOrNull(string descriptor)
    {
        try
        {
            return new FileInfo(descriptor).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
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

    /// <summary>
    /// On this node's own disk (ext4 on a block device) the same EIO is the disk's, a bad sector that no wait mends: the newest
    /// checkpoint, whose manifest sits on it, is set aside and the one before it resumed, not waited for by every pod. The disk is
    /// an ext4 image on a loop device whose backing file is on the FUSE volume, failing the block the manifest is in.
    /// </summary>
    [CriuFact]
    public void ABadSectorUnderTheNewestManifestOnThisNodesDiskSetsItAsideAndTheOneBeforeResumes()
    {
        using var pods = new Pods("lockWait: 2s\n");
        (string backing, int lastCount) = CheckpointOnADisk(pods, generations: 2);
        long block = BlockOf(Path.Combine(backing, "disk.img"), "/checkpoint-000002/manifest.json");

        string mount = Directory.CreateDirectory(Path.Combine(_dir.Path, "mount")).FullName;
        using (FailingVolume.Mount(_dir, backing, mount, "disk.img", errno: 5, bytes: (block * 4096, 4096)))
        using (LoopMount.Of(Path.Combine(mount, "disk.img"), pods.ImageDir))
        {
            using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
            third.WaitForLine(_ => Pods.Counts(third).Count > 0, TimeSpan.FromSeconds(60));
            Assert.InRange(Pods.Counts(third)[0], 1, lastCount - 5);
            Assert.Contains(third.Stderr, l => l.Contains("set aside", StringComparison.Ordinal) && l.Contains("Input/output error", StringComparison.Ordinal)
                && l.Contains("this node's own disk", StringComparison.Ordinal));
            Assert.Equal(["checkpoint-000001"], pods.Committed());
            Assert.Single(pods.SetAside());
        }
    }

    /// <summary>
    /// A disk that fails every checkpoint it reads may be failing as a whole (gone for a while, its controller reset), not
    /// under one checkpoint: none is set aside, the app does not start fresh on work still there, and the pod waits for
    /// lockWait and exits 125, saying so. Once the disk reads again the next pod resumes.
    /// </summary>
    [CriuFact]
    public void WhenThisNodesDiskFailsEveryCheckpointItReadsNoneIsSetAsideAndNothingStarts()
    {
        using var pods = new Pods("lockWait: 2s\n");
        (string backing, int lastCount) = CheckpointOnADisk(pods, generations: 1);
        string disk = Path.Combine(backing, "disk.img");
        long block = BlockOf(disk, "/checkpoint-000001/manifest.json");

        string mount = Directory.CreateDirectory(Path.Combine(_dir.Path, "mount")).FullName;
        using (FailingVolume.Mount(_dir, backing, mount, "disk.img", errno: 5, bytes: (block * 4096, 4096)))
        using (LoopMount.Of(Path.Combine(mount, "disk.img"), pods.ImageDir))
        {
            using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Empty(Pods.Counts(second));
            Assert.Contains(second.Stderr, l => l.Contains("this node's disk failed to read checkpoint-000001 and no older checkpoint read whole", StringComparison.Ordinal)
                && l.Contains("Input/output error", StringComparison.Ordinal) && l.Contains("check the disk under the volume on this node", StringComparison.Ordinal));
            Assert.Equal(["checkpoint-000001"], pods.Committed());
            Assert.Empty(pods.SetAside());
        }

        using (LoopMount.Of(disk, pods.ImageDir))
        {
            using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
            third.WaitForLine(_ => Pods.Counts(third).Count > 0, TimeSpan.FromSeconds(60));
            Assert.True(Pods.Counts(third)[0] > lastCount - 5, $"the app started over instead of resuming\n{third.Transcript}");
            third.Signal(Native.SIGKILL);
            third.WaitForExit(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// A bad sector under the newest checkpoint's saved additionalPaths copy on this node's own disk is that checkpoint's
    /// fault, as under its manifest: checking the copies (read in parallel) fails with the disk's EIO, not "one or more errors",
    /// and the checkpoint is set aside and the one before it resumed.
    /// </summary>
    [CriuFact]
    public void ABadSectorUnderTheNewestCheckpointsSavedAdditionalPathSetsItAsideAndTheOneBeforeResumes()
    {
        string saved = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir.Path, "app-data")).FullName, "state.bin");
        File.WriteAllBytes(saved, RandomNumberGenerator.GetBytes(4 << 20));
        using var pods = new Pods($"lockWait: 2s\nadditionalPaths: [{saved}]\n");
        (string backing, int lastCount) = CheckpointOnADisk(pods, generations: 2);
        long block = BlockOf(Path.Combine(backing, "disk.img"), $"/checkpoint-000002/extra-files{saved}");

        string mount = Directory.CreateDirectory(Path.Combine(_dir.Path, "mount")).FullName;
        using (FailingVolume.Mount(_dir, backing, mount, "disk.img", errno: 5, bytes: (block * 4096, 4096)))
        using (LoopMount.Of(Path.Combine(mount, "disk.img"), pods.ImageDir))
        {
            using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
            third.WaitForLine(_ => Pods.Counts(third).Count > 0, TimeSpan.FromSeconds(60));
            Assert.InRange(Pods.Counts(third)[0], 1, lastCount - 5);
            Assert.Contains(third.Stderr, l => l.Contains("checkpoint-000002 cannot be restored", StringComparison.Ordinal)
                && l.Contains("Input/output error", StringComparison.Ordinal) && l.Contains("this node's own disk", StringComparison.Ordinal));
            Assert.Equal(["checkpoint-000001"], pods.Committed());
            Assert.Single(pods.SetAside());
            third.Signal(Native.SIGKILL);
            third.WaitForExit(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// An ext4 image (backing/disk.img) mounted at the pods' image directory while <paramref name="generations"/> checkpoints
    /// of a counter are taken in it; the directory that holds the image, and the last count checkpointed.
    /// </summary>
    private (string Backing, int LastCount) CheckpointOnADisk(Pods pods, int generations)
    {
        string backing = Directory.CreateDirectory(Path.Combine(_dir.Path, "backing")).FullName;
        string disk = Path.Combine(backing, "disk.img");
        HostCommand.MustRun("truncate", "-s", "256M", disk);
        HostCommand.MustRun("mkfs.ext4", "-q", "-F", "-b", "4096", disk);
        int lastCount = 0;
        using (LoopMount.Of(disk, pods.ImageDir))
        {
            for (int generation = 1; generation <= generations; generation++)
            {
                using CrikRun pod = pods.Start("sh", "-c", Pods.Counter());
                pod.WaitForLine(_ => Pods.Counts(pod).Count >= 10, TimeSpan.FromSeconds(60));
                Pods.CheckpointAndStop(pod);
                lastCount = Pods.Counts(pod)[^1];
            }
            Assert.Equal(Enumerable.Range(1, generations).Select(g => $"checkpoint-{g:D6}"), pods.Committed());
        }
        return (backing, lastCount);
    }

    /// <summary>The block (of 4 KiB) that holds the start of <paramref name="path"/> in the ext4 image <paramref name="disk"/>.</summary>
    private static long BlockOf(string disk, string path)
    {
        var info = new ProcessStartInfo("debugfs", ["-R", $"bmap {path} 0", disk]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process debugfs = Process.Start(info)!;
        string output = debugfs.StandardOutput.ReadToEnd();
        string error = debugfs.StandardError.ReadToEnd();
        debugfs.WaitForExit();
        Assert.True(long.TryParse(output.Trim(), out long block) && block > 0, $"debugfs gave no block for {path}: {output} {error}");
        return block;
    }

    /// <summary>An ext4 image mounted through a loop device (detached when unmounted) until disposed.</summary>
    /// <remarks>
    /// Once unmounted here, the file system may live on in a pod's mount namespace that is still being torn down, its writes
    /// not yet in the image: the loop device is detached only when the last mount of it is gone and its writes are in.
    /// </remarks>
    private sealed class LoopMount(string image, string target) : IDisposable
    {
        public static LoopMount Of(string image, string target)
        {
            Directory.CreateDirectory(target);
            HostCommand.MustRun("mount", "-o", "loop", image, target);
            return new LoopMount(image, target);
        }

        public void Dispose()
        {
            HostCommand.MustRun("umount", target);
            Poll.Until(() => LoopDevicesOf(image) == "", $"the loop device of {image} to be detached", TimeSpan.FromSeconds(30));
        }

        private static string LoopDevicesOf(string image)
        {
            var info = new ProcessStartInfo("losetup", ["-j", image]) { RedirectStandardOutput = true };
            using Process losetup = Process.Start(info)!;
            string output = losetup.StandardOutput.ReadToEnd().Trim();
            losetup.WaitForExit();
            return output;
        }
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

        /// <param name="bytes">Where reads of <paramref name="failingName"/> fail (from, length); null: everywhere.</param>
        public static FailingVolume Mount(TempDirectory build, string backing, string mount, string failingName, int errno, (long From, long Length)? bytes = null)
        {
            string binary = CompiledApp.Build("failing-volume.c", Path.Combine(build.Path, "failing-volume"), "-I/usr/include/fuse3", "-Wl,--no-as-needed", "-lfuse3");
            string[] range = bytes is { } b ? [Invariant(b.From), Invariant(b.Length)] : [];
            var process = Process.Start(binary, [backing, mount, failingName, Invariant(errno), .. range]);
            var volume = new FailingVolume(process, mount);
            try
            {
                Poll.Until(() => process.HasExited || IsMounted(mount), "the FUSE volume to be mounted");
                Assert.False(process.HasExited, "failing-volume exited before it mounted the volume (its error is in the test's output)");
                return volume;
            }
            catch
            {
                volume.Dispose();
                throw;
            }
        }

        private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

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

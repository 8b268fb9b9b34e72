using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// A node with no room for what a restore writes (a full disk, a quota, a read-only file system) says nothing
/// of the checkpoint: it stays where it is, the attempt does not count, and the next pod with room restores it.
/// </summary>
public class NoRoomOnTheNodeTests
{
    [CriuFact]
    public void AFullFileSystemWhereAdditionalPathsGoBackKeepsTheCheckpointForTheNextPod()
    {
        using var pods = new Pods("onRestoreFailure: fail\n");
        string state = Path.Combine(pods.Root, "state");
        File.AppendAllText(pods.ConfigPath, $"additionalPaths:\n  - {state}\n");
        Directory.CreateDirectory(state);
        File.WriteAllBytes(Path.Combine(state, "data.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(1 << 20));
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        Directory.Delete(state, recursive: true);

        // In this pod, the saved file's place is a file system with room for 64 KiB of its 1 MiB.
        using (CrikRun full = pods.StartInside($"mkdir -p {state} && mount -t tmpfs -o size=64k crik-full {state}", new Dictionary<string, string>(), "sh", "-c", Pods.Counter()))
        {
            Assert.Equal(125, full.WaitForExit(TimeSpan.FromSeconds(60)));
            string said = Assert.Single(full.Stderr, l => l.Contains("because this node has no room for what the restore writes", StringComparison.Ordinal));
            Assert.Contains("No space left on device", said, StringComparison.Ordinal);
            Assert.Contains("The checkpoint stays in", said, StringComparison.Ordinal);
            Assert.Empty(Pods.Counts(full));
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.False(Directory.Exists(Path.Combine(pods.ImageDir, "set-aside")));

        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint 1 ", stderr: true);
        next.WaitForLine(_ => Pods.Counts(next).Count >= 2);
        Assert.True(Pods.Counts(next)[0] > 2, next.Transcript); // it goes on from where it was
        Assert.DoesNotContain(next.Stderr, l => l.Contains("Resuming checkpoint 1 again", StringComparison.Ordinal)); // the full pod's attempt did not count
        Assert.Equal(1 << 20, new FileInfo(Path.Combine(state, "data.bin")).Length);
        next.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// The image volume full when restored pods write their restore marks: each mark is left empty, and each pod is killed
    /// after its restore. A mark never written whole proves nothing of the checkpoint, so the pods do not count as restores
    /// that died (restoreAttempts: 2), and the next pod, with room again, restores the same checkpoint. Before, the empty
    /// marks counted, and the checkpoint was set aside after the second pod.
    /// </summary>
    /// <summary>
    /// A file where a saved directory goes back: the paths of this pod, not the checkpoint, whose copies read whole. The
    /// checkpoint stays (the attempt counts, so a refusal every pod meets still ends), and the next pod, whose path is free
    /// again, restores it.
    /// </summary>
    [CriuFact]
    public void AFileWhereASavedDirectoryGoesBackKeepsTheCheckpointForTheNextPod()
    {
        using var pods = new Pods("onRestoreFailure: fail\n");
        string state = Path.Combine(pods.Root, "state");
        File.AppendAllText(pods.ConfigPath, $"additionalPaths:\n  - {state}\n");
        Directory.CreateDirectory(state);
        File.WriteAllText(Path.Combine(state, "data.txt"), "kept");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        Directory.Delete(state, recursive: true);
        File.WriteAllText(state, "a file where the directory was");

        using (CrikRun refused = pods.Start("sh", "-c", Pods.Counter()))
        {
            Assert.Equal(125, refused.WaitForExit(TimeSpan.FromSeconds(60)));
            string said = Assert.Single(refused.Stderr, l => l.Contains("nothing shows the checkpoint damaged", StringComparison.Ordinal));
            Assert.Contains("because this node could not put a saved file back at its path", said, StringComparison.Ordinal);
            Assert.Empty(Pods.Counts(refused));
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.False(Directory.Exists(Path.Combine(pods.ImageDir, "set-aside")));

        File.Delete(state);
        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint 1 ", stderr: true);
        next.WaitForLine(_ => Pods.Counts(next).Count >= 2);
        Assert.True(Pods.Counts(next)[0] > 2, next.Transcript);
        Assert.Equal("kept", File.ReadAllText(Path.Combine(state, "data.txt")));
        next.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void PodsKilledAfterRestoresWhoseMarksFoundNoRoomDoNotCostTheCheckpoint()
    {
        using var pods = new Pods("restoreAttempts: 2\n");
        Directory.CreateDirectory(pods.ImageDir);
        HostCommand.MustRun("mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "crik-test-full", pods.ImageDir);
        try
        {
            using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
            {
                first.WaitForLine("count 2");
                Pods.CheckpointAndStop(first);
            }
            string filler = Path.Combine(pods.ImageDir, "filler");
            FillUp(filler);
            for (int pod = 1; pod <= 3; pod++)
            {
                using CrikRun restored = pods.Start("sh", "-c", Pods.Counter());
                restored.WaitForLine("Restored checkpoint 1 ", stderr: true);
                restored.WaitForLine(_ => Pods.Counts(restored).Count >= 1);
                restored.Signal(Native.SIGKILL);
                restored.WaitForExit(TimeSpan.FromSeconds(30));
            }
            Assert.All(Directory.GetFiles(Path.Combine(pods.ImageDir, "restores")), mark => Assert.Equal(0, new FileInfo(mark).Length));
            File.Delete(filler);

            using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
            next.WaitForLine("Restored checkpoint 1 ", stderr: true);
            next.WaitForLine(_ => Pods.Counts(next).Count >= 2);
            Assert.True(Pods.Counts(next)[0] > 2, next.Transcript);
            Assert.False(Directory.Exists(Path.Combine(pods.ImageDir, "set-aside")), next.Transcript);
            Assert.Contains(next.Stderr, l => l.Contains("Resuming checkpoint 1 again: the pod that restored it last, whose record of the restore "
                + "was never written whole", StringComparison.Ordinal));
            next.Signal(Native.SIGKILL);
        }
        finally
        {
            HostCommand.Run("umount", "-l", pods.ImageDir);
        }
    }

    /// <summary>Writes <paramref name="path"/> until its file system has no room left.</summary>
    private static void FillUp(string path)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
        byte[] block = new byte[1 << 20];
        try
        {
            while (true)
            {
                file.Write(block);
            }
        }
        catch (IOException e) when (e.HResult == 28)
        {
            // ENOSPC: full
        }
    }

    /// <summary>
    /// A node whose pid_max is below an ID the app's processes had (checkpointed on a node with a higher pid_max) cannot give
    /// it back, and that is the node's lack, not the checkpoint's: the restore stops before CRIU runs and says what to change,
    /// the checkpoint stays, uncounted, and a pod on a node with room resumes it. Here the pod's own PID namespace has the low
    /// pid_max (one per namespace since Linux 6.14).
    /// </summary>
    [CriuFactFromLinux(6, 14, "before it pid_max is the machine's, and the test would lower it")]
    public void ANodeWhosePidMaxIsBelowTheAppsIdsKeepsTheCheckpointForTheNextPod()
    {
        using var pods = new Pods("onRestoreFailure: fail\n");
        string[] app = ["sh", "-c", "echo 15000 > /proc/sys/kernel/ns_last_pid; " + Pods.Counter()];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("count 5");
            Pods.CheckpointAndStop(first);
        }
        Assert.Contains(pods.Manifest("checkpoint-000001")["treePids"]!.AsArray(), id => (int)id! > 15000);

        // An unprivileged container's /proc/sys is read-only: nobody in it may raise pid_max.
        using (CrikRun low = pods.StartInside("echo 12000 > /proc/sys/kernel/pid_max && mount -o bind,ro /proc/sys /proc/sys", new Dictionary<string, string>(), app))
        {
            Assert.Equal(125, low.WaitForExit(TimeSpan.FromSeconds(60)));
            string said = Assert.Single(low.Stderr, l => l.Contains("because this node cannot give back the IDs the app's processes and threads had", StringComparison.Ordinal));
            Assert.Contains("this node's pid_max (12000) is below the IDs the app's processes and threads had (up to 15", said, StringComparison.Ordinal);
            Assert.Contains("(/proc/sys is read-only here)", said, StringComparison.Ordinal);
            Assert.Contains("sysctl -w kernel.pid_max=4194304", said, StringComparison.Ordinal);
            Assert.Contains("The checkpoint stays in", said, StringComparison.Ordinal);
            Assert.Empty(Pods.Counts(low));
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.False(Directory.Exists(Path.Combine(pods.ImageDir, "set-aside")));

        // A privileged one may: crik raises it, and the app goes on, its new children above its old IDs.
        using CrikRun next = pods.StartInside("echo 12000 > /proc/sys/kernel/pid_max", new Dictionary<string, string>(), app);
        next.WaitForLine("Restored checkpoint 1 ", stderr: true);
        next.WaitForLine(_ => Pods.Counts(next).Count >= 2);
        Assert.True(Pods.Counts(next)[0] > 5, next.Transcript);
        Assert.Contains(next.Stderr, l => l.Contains("Raised pid_max from 12000 to 4194304", StringComparison.Ordinal));
        Assert.DoesNotContain(next.Stderr, l => l.Contains("Resuming checkpoint 1 again", StringComparison.Ordinal));
        Pods.CheckpointAndStop(next);
        Assert.All(pods.Manifest("checkpoint-000002")["treePids"]!.AsArray(), id => Assert.True((int)id! is 9001 or > 15000, $"PID {id}"));
    }

    [CriuFact]
    public void ANodeThatRefusesCriuATraceOfTheRestoredProcessesKeepsTheCheckpointForTheNextPod()
    {
        using var pods = new Pods("onRestoreFailure: fail\n");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        // This pod's crik runs under strace -f: the processes CRIU restores are traced already, and the kernel refuses
        // CRIU's own attach (EPERM), as a node with kernel.yama.ptrace_scope 3 does.
        string traced = Path.Combine(pods.Root, "traced-crik");
        File.WriteAllText(traced, $"#!/bin/sh\nexec strace -f -o /dev/null {Paths.Crik} \"$@\"\n");
        File.SetUnixFileMode(traced, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using (CrikRun refused = CrikRun.Start(["run", "--config", pods.ConfigPath, "--", "sh", "-c", Pods.Counter()], binary: traced))
        {
            Assert.True(refused.WaitForExit(TimeSpan.FromSeconds(120)) == 125, refused.Transcript);
            string said = Assert.Single(refused.Stderr, l => l.Contains("because this node does not let CRIU trace the restored processes", StringComparison.Ordinal));
            Assert.Contains("Operation not permitted", said, StringComparison.Ordinal);
            Assert.Contains("The checkpoint stays in", said, StringComparison.Ordinal);
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.False(Directory.Exists(Path.Combine(pods.ImageDir, "set-aside")));

        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint 1 ", stderr: true);
        next.WaitForLine(_ => Pods.Counts(next).Count >= 2);
        Assert.True(Pods.Counts(next)[0] > 2, next.Transcript);
        next.Signal(Native.SIGKILL);
    }
}

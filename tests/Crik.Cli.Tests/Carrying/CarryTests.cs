using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Carrying;

/// <summary>
/// Files a new container lacks come back with the app, with nothing configured: each pod here has
/// its own empty tmpfs, as each new container has its own /dev/shm.
/// </summary>
public class CarryTests
{
    [CriuFact]
    public void FilesTheAppMadeInItsOwnTmpfsComeBackInTheNextPod()
    {
        using var pods = new Pods();
        string scratch = Path.Combine(pods.Root, "scratch");
        string[] command = ["python3", Paths.App("carry-app.py"), scratch];
        for (int pod = 1; pod <= 3; pod++)
        {
            using CrikRun run = pods.StartWithOwnTmpfs(scratch, command);
            if (pod > 1)
            {
                run.WaitForLine($"Restored checkpoint {pod - 1}", stderr: true);
            }
            int target = (pod * 5) + 2;
            run.WaitForLine($"count {target}");
            Pods.CheckpointAndStop(run);
            Assert.Contains(run.Stderr, l => l.Contains("Carrying 2 files", StringComparison.Ordinal) && l.Contains("hits.log", StringComparison.Ordinal));
        }
        using CrikRun last = pods.StartWithOwnTmpfs(scratch, command);
        last.WaitForLine("Restored checkpoint 3", stderr: true);
        last.WaitForLine("count 20");
        // The log is the one the app kept open across all pods: every count in order, none twice.
        string log = File.ReadAllText($"/proc/{last.CrikPid}/root{scratch}/app/logs/hits.log");
        List<int> logged = log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => int.Parse(l["count ".Length..])).ToList();
        Assert.Equal(Enumerable.Range(0, logged.Count), logged);
        Assert.Equal("750", Convert.ToString((int)File.GetUnixFileMode($"/proc/{last.CrikPid}/root{scratch}/app/logs") & 0x1ff, 8));
        Assert.True(Pods.Counts(last)[0] > 17, $"the app should continue, not start again\n{last.Transcript}");
        last.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void MoreThanCarryLimitSkipsTheCheckpointAndTheAppGetsItsSigterm()
    {
        using var pods = new Pods("carryLimit: 1Ki\n");
        string scratch = Path.Combine(pods.Root, "scratch");
        string script = $"trap 'echo app-got-term; exit 9' TERM; head -c 8192 /dev/zero > {scratch}/big; exec 3<{scratch}/big; echo ready; while :; do sleep 0.1; done";
        using CrikRun run = pods.StartWithOwnTmpfs(scratch, "sh", "-c", script);
        run.WaitForLine("ready");
        pods.SigtermReachesTheAppWithoutACheckpoint(run, 9);
        Assert.Contains(run.Stderr, l => l.Contains("more than carryLimit", StringComparison.Ordinal) && l.Contains($"{scratch}/big (8 KiB)", StringComparison.Ordinal));
    }

    [CriuFact]
    public void CarryThatFillsTheVolumeIsNotTakenAndTheAppGetsItsSigterm()
    {
        using var pods = new Pods();
        Directory.CreateDirectory(pods.ImageDir);
        HostCommand.MustRun("mount", "-t", "tmpfs", "-o", "size=12m,mode=0700", "crik-test-full", pods.ImageDir);
        try
        {
            string scratch = Path.Combine(pods.Root, "scratch");
            string script = $"trap 'echo app-got-term; exit 9' TERM; head -c 20000000 /dev/urandom > {scratch}/big; exec 3<{scratch}/big; echo ready; while :; do sleep 0.1; done";
            using CrikRun run = pods.StartWithOwnTmpfs(scratch, "sh", "-c", script);
            run.WaitForLine("ready");
            pods.SigtermReachesTheAppWithoutACheckpoint(run, 9);
            Assert.Contains(run.Stderr, l => l.Contains("Checkpoint 1 failed", StringComparison.Ordinal) && l.Contains("No space left on device", StringComparison.Ordinal));
            Assert.Empty(Directory.GetDirectories(pods.ImageDir, "checkpoint-*"));
        }
        finally
        {
            HostCommand.Run("umount", "-l", pods.ImageDir);
        }
    }
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// The app's life around a checkpoint: it never runs twice (once committed, it is stopped for good)
/// and it is never dropped (any failure before the commit gives it its SIGTERM).
/// </summary>
public class AppLifeTests
{
    private const string TermTrap = "trap 'echo app-got-term; exit 7' TERM; ";

    [CriuFact]
    public void AFailureAfterTheCommitStillStopsTheAppAndExitsZero()
    {
        using var pods = new Pods("keepCheckpoints: 1\n");
        try
        {
            using (CrikRun first = pods.Start("sh", "-c", TermTrap + Pods.Counter()))
            {
                first.WaitForLine("count 2");
                Pods.CheckpointAndStop(first);
            }
            using CrikRun second = pods.Start("sh", "-c", TermTrap + Pods.Counter());
            second.WaitForLine("Restored checkpoint 1", stderr: true);
            second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
            // The restored generation 1 cannot be deleted (keepCheckpoints: 1) once generation 2 commits:
            // a cleanup failure after the commit point.
            HostCommand.MustRun("chattr", "+i", Path.Combine(pods.ImageDir, "checkpoint-000001", "manifest.json"));
            second.Signal(Native.SIGTERM);
            int code = second.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.True(code == 0, $"crik should exit 0 once generation 2 is committed, got {code}\n{second.Transcript}");
            Assert.DoesNotContain("app-got-term", second.Stdout);
            second.WaitForLine("Checkpoint 2 committed", stderr: true);
            Assert.Contains(second.Stderr, l => l.Contains(" WRN ", StringComparison.Ordinal) && l.Contains("000001", StringComparison.Ordinal));
            Assert.DoesNotContain(second.Stderr, l => l.Contains("Checkpoint 2 failed", StringComparison.Ordinal));
        }
        finally
        {
            HostCommand.Run("chattr", "-R", "-i", pods.ImageDir);
        }
    }

    [CriuFact]
    public void AnImageDirTurnedReadOnlyGivesTheAppItsSigtermAndCrikItsExitCode()
    {
        using var pods = new Pods();
        // The image directory is a volume of its own, as a PVC is; the pod gets its own copy of the mount.
        Directory.CreateDirectory(pods.ImageDir);
        HostCommand.MustRun("mount", "--bind", pods.ImageDir, pods.ImageDir);
        try
        {
            using CrikRun run = pods.Start("sh", "-c", TermTrap + Pods.Counter());
            run.WaitForLine("count 1");
            // The volume goes read-only under the running pod (crik's copy of the mount only).
            HostCommand.MustRun("nsenter", "-t", run.CrikPid.ToString(), "-m", "mount", "-o", "remount,bind,ro", pods.ImageDir);
            pods.SigtermReachesTheAppWithoutACheckpoint(run, appExitCode: 7);
            Assert.Contains(run.Stderr, l => l.Contains(" ERR ", StringComparison.Ordinal) && l.Contains("Read-only file system", StringComparison.Ordinal));
        }
        finally
        {
            HostCommand.MustRun("umount", "-l", pods.ImageDir);
        }
    }

    [CriuFact]
    public void ASpentCheckpointBudgetGivesTheAppItsSigterm()
    {
        using var pods = new Pods("checkpointBudget: 1ms\n");
        using CrikRun run = pods.Start("sh", "-c", TermTrap + Pods.Counter());
        run.WaitForLine("count 1");
        pods.SigtermReachesTheAppWithoutACheckpoint(run, appExitCode: 7);
        Assert.Contains("checkpointBudget", run.WaitForLine("Checkpoint 1 failed", stderr: true), StringComparison.Ordinal);
    }
}

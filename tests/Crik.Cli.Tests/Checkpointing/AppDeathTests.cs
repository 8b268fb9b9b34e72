using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// Killed is not finished: an app that dies of something other than its own end (an exit, or a signal
/// crik forwarded) keeps its checkpoints, and the next pod resumes from the newest.
/// </summary>
public class AppDeathTests
{
    private const int SIGSEGV = 11;

    [CriuFact]
    public void ARestoredAppKilledFromOutsideKeepsItsCheckpointAndTheNextPodResumesFromIt()
    {
        using var pods = new Pods();
        int checkpointed = CheckpointACounter(pods);
        using (CrikRun second = pods.Start("sh", "-c", Pods.Counter()))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
            Native.Signal(AppPid(second, "sh"), Native.SIGKILL);
            Assert.Equal(128 + Native.SIGKILL, second.WaitForExit());
            second.WaitForLine("was killed by SIGKILL, which crik did not send", stderr: true);
            Assert.Contains(second.Stderr, l => l.Contains("so its checkpoints stay and the next pod resumes from the newest", StringComparison.Ordinal));
            Assert.DoesNotContain(second.Stderr, l => l.Contains("retired", StringComparison.Ordinal));
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        ResumesFrom(pods, checkpointed);
    }

    [CriuFact]
    public void AnAppThatCrashesAfterAPeriodicCheckpointKeepsItAndTheNextPodResumesFromIt()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("Checkpoint 1 committed", stderr: true);
            Native.Signal(AppPid(first, "sh"), SIGSEGV);
            Assert.Equal(128 + SIGSEGV, first.WaitForExit());
            first.WaitForLine("was killed by SIGSEGV, which crik did not send", stderr: true);
        }
        Assert.NotEmpty(pods.Committed());
        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint ", stderr: true);
        next.WaitForLine(_ => Pods.Counts(next).Count >= 1);
        Assert.True(Pods.Counts(next)[0] > 0, next.Transcript);
        next.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void ARestoredAppThatDiesOfASignalCrikForwardedEndedOnItsOwnAndIsRetired()
    {
        using var pods = new Pods();
        CheckpointACounter(pods);
        using (CrikRun second = pods.Start("sh", "-c", Pods.Counter()))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            second.Signal(Native.SIGINT);
            Assert.Equal(128 + Native.SIGINT, second.WaitForExit());
            second.WaitForLine("was killed by SIGINT, which crik forwarded to it", stderr: true);
            second.WaitForLine("The app ended on its own: retired its 1 committed checkpoints", stderr: true);
        }
        Assert.Empty(pods.Committed());
    }

    [MemoryCgroupFact]
    public void ARestoredAppKilledByTheOomKillerKeepsItsCheckpointAndCrikSaysSo()
    {
        using var pods = new Pods();
        string grow = Path.Combine(pods.Root, "grow");
        // Counts, and once told to, takes 4 MiB more every 20 ms until something stops it.
        string app = "import os, sys, time\nheld = []\ni = 0\nwhile True:\n    print(f'count {i}', flush=True)\n    i += 1\n"
            + $"    if os.path.exists('{grow}'):\n        held.append(bytearray(os.urandom(1)) * (4 << 20))\n        time.sleep(0.02)\n    else:\n        time.sleep(0.1)\n";
        int checkpointed;
        using (CrikRun first = pods.Start("python3", "-c", app))
        {
            first.WaitForLine(_ => Pods.Counts(first).Count >= 3);
            Pods.CheckpointAndStop(first);
            checkpointed = Pods.Counts(first).Last();
        }
        using (CrikRun second = pods.Start("python3", "-c", app))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            using var cgroup = MemoryCgroup.Create(64L << 20);
            cgroup.Add(AppPid(second, "python3"));
            File.WriteAllText(grow, "");
            Assert.Equal(128 + Native.SIGKILL, second.WaitForExit(TimeSpan.FromSeconds(60)));
            second.WaitForLine("was killed by the kernel's OOM killer", stderr: true);
            File.Delete(grow);
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        using CrikRun third = pods.Start("python3", "-c", app);
        third.WaitForLine("Restored checkpoint 1 ", stderr: true);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 1);
        Assert.True(Pods.Counts(third)[0] == checkpointed + 1, third.Transcript);
        third.Signal(Native.SIGKILL);
    }

    private static int CheckpointACounter(Pods pods)
    {
        using CrikRun first = pods.Start("sh", "-c", Pods.Counter());
        first.WaitForLine(_ => Pods.Counts(first).Count >= 3);
        Pods.CheckpointAndStop(first);
        return Pods.Counts(first).Last();
    }

    private static void ResumesFrom(Pods pods, int checkpointed)
    {
        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint 1 ", stderr: true);
        next.WaitForLine(_ => Pods.Counts(next).Count >= 1);
        Assert.True(Pods.Counts(next)[0] == checkpointed + 1, $"the next pod should go on from {checkpointed}\n{next.Transcript}");
        next.Signal(Native.SIGKILL);
    }

    /// <summary>The app's root process, crik's child (a restored one too), by its host PID.</summary>
    private static int AppPid(CrikRun pod, string name) =>
        Poll.Until(() => ProcessTable.ChildrenOf(pod.CrikPid).FirstOrDefault(e => e.Name == name), $"the app ({name}) as crik's child\n{pod.Transcript}").Pid;
}

using System.Diagnostics;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// Retiring is atomic on a volume: a crik killed after the finished mark and before its generations
/// moved to retired/ leaves nothing the next pod restores.
/// </summary>
public class RetireCrashTests
{
    [CriuFact]
    public void ACrikKilledBetweenTheFinishedMarkAndTheMoveLeavesNothingToRestore()
    {
        Assert.True(Prerequisites.FindOnPath("strace") is not null, "needs strace on PATH (apt-get install strace; CI installs it)");
        using var pods = new Pods();
        string stop = Path.Combine(pods.Root, "stop");
        string app = $"i=0; while [ ! -e {stop} ]; do echo \"count $i\"; i=$((i+1)); sleep 0.1; done; exit 3";
        using (CrikRun first = pods.Start("sh", "-c", app))
        {
            first.WaitForLine(_ => Pods.Counts(first).Count >= 3);
            Pods.CheckpointAndStop(first);
        }
        using (CrikRun second = pods.Start("sh", "-c", app))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            // From here on every rename crik makes waits a minute on entry: the retire's move is the first.
            using Process tracer = Stall(second.CrikPid, "renameat");
            File.WriteAllText(stop, "");
            string mark = Path.Combine(pods.ImageDir, "restores", "finished-000001");
            Poll.Until(() => File.Exists(mark), $"the finished mark\n{second.Transcript}");
            Assert.Equal(["checkpoint-000001"], pods.Committed());
            // Killed while held on entry to the rename, crik never makes it; strace then lets the dead crik go.
            second.Signal(Native.SIGKILL);
            tracer.Kill();
            second.WaitForExit();
        }
        File.Delete(stop);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        using CrikRun third = pods.Start("sh", "-c", app);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 1);
        Assert.True(Pods.Counts(third)[0] == 0, $"the finished app was brought back\n{third.Transcript}");
        Assert.Contains(third.Stderr, l => l.Contains("No checkpoint to restore", StringComparison.Ordinal));
        Assert.Empty(pods.Committed()); // the next pod finished the move
        Assert.True(Directory.Exists(Path.Combine(pods.ImageDir, "retired", "checkpoint-000001")));
        third.Signal(Native.SIGKILL);
    }

    /// <summary>strace attached to every thread of <paramref name="pid"/>, delaying <paramref name="call"/> by a minute on entry; returns once it holds them all.</summary>
    private static Process Stall(int pid, string call)
    {
        var info = new ProcessStartInfo("strace") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { "-f", "-qq", "-o", "/dev/null", "-e", $"trace={call}", "-e", $"inject={call}:delay_enter=60000000", "-p", $"{pid}" })
        {
            info.ArgumentList.Add(arg);
        }
        Process tracer = Process.Start(info)!;
        Poll.Until(() => Directory.GetDirectories($"/proc/{pid}/task").All(t => ProcessTable.TracerOf(t) == tracer.Id), $"strace to attach to every thread of {pid}");
        return tracer;
    }
}

using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// A restored app keeps the environment of the pod it was checkpointed in; the <c>afterRestore</c> program runs with the
/// new pod's, and hands the app what it needs of it (here: a token in a file, then SIGUSR2, as examples/jupyterhub does
/// through a socket). It never runs at a fresh start, and its failure leaves the app running.
/// </summary>
public sealed class AfterRestoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Eagerly, and lazily: then the program runs while the app's memory still arrives.</summary>
    [CriuTheory]
    [InlineData("")]
    [InlineData("lazyRestore: on\n")]
    public void EachRestoreHandsTheAppTheNewPodsTokenThroughTheProgram(string restore)
    {
        string handed = Path.Combine(_dir.Path, "handed");
        string program = $"echo \"handing $POD_TOKEN to $CRIK_APP_PID, restored from checkpoint $CRIK_RESTORED_CHECKPOINT\"; echo $POD_TOKEN > {handed}; kill -USR2 $CRIK_APP_PID";
        using var pods = new Pods($"afterRestore: [sh, -c, '{program}']\n{restore}");
        string app = $"trap 'echo \"given $(cat {handed}), own $POD_TOKEN\"' USR2; echo \"app $$\"; " + Pods.Counter();

        using (CrikRun first = pods.StartWith(Token("first"), "sh", "-c", app))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
            Assert.DoesNotContain(first.Stdout.Concat(first.Stderr), l => l.Contains("handing", StringComparison.Ordinal) || l.Contains("afterRestore", StringComparison.Ordinal));
            string pid = first.Stdout.Single(l => l.StartsWith("app ", StringComparison.Ordinal))["app ".Length..];

            using (CrikRun second = pods.StartWith(Token("second"), "sh", "-c", app))
            {
                string restored = second.WaitForLine("Restored checkpoint 1 ", stderr: true);
                Assert.True(restore.Length == 0 || restored.Contains(", lazily (", StringComparison.Ordinal), restored);
                second.WaitForLine($"handing second to {pid}, restored from checkpoint 1");
                second.WaitForLine("given second, own first");
                second.WaitForLine("The afterRestore program sh (PID ", stderr: true);
                Assert.Contains(second.Stderr, l => l.Contains(") ended well in ", StringComparison.Ordinal));
                Pods.CheckpointAndStop(second);
            }
            using CrikRun third = pods.StartWith(Token("third"), "sh", "-c", app);
            third.WaitForLine($"handing third to {pid}, restored from checkpoint 2");
            third.WaitForLine("given third, own first");
            int counted = Pods.Counts(third).Count;
            third.WaitForLine(_ => Pods.Counts(third).Count > counted + 3);
            third.Signal(Native.SIGKILL);
        }
    }

    /// <summary>A program that fails, one that cannot start, and one that outlives the app: the app runs on each time, and nothing is left running.</summary>
    [CriuTheory]
    [InlineData("[sh, -c, 'echo about to fail; exit 3']", "ended with exit code 3; the app runs on")]
    [InlineData("[/nonexistent/hand-over]", "Could not start the afterRestore program: command not found: /nonexistent/hand-over")]
    [InlineData("[sleep, '1000']", "was killed: the app ended first")]
    public void AnAfterRestoreProgramThatFailsLeavesTheAppRunning(string command, string said)
    {
        using var pods = new Pods($"afterRestore: {command}\n");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        second.WaitForLine("Restored checkpoint ", stderr: true);
        int counted = Pods.Counts(second).Count;
        second.WaitForLine(_ => Pods.Counts(second).Count > counted + 5);
        if (!command.StartsWith("[sleep", StringComparison.Ordinal))
        {
            second.WaitForLine(said, stderr: true);
            second.Signal(Native.SIGKILL);
            return;
        }
        int sleeper = Poll.Until(() => ProcessTable.ChildrenOf(second.CrikPid).FirstOrDefault(e => e.Name == "sleep"), "the program to run").Pid;
        Native.Signal(ProcessTable.ChildrenOf(second.CrikPid).Single(e => e.Name == "sh").Pid, Native.SIGKILL);
        second.WaitForExit();
        second.WaitForLine(said, stderr: true);
        Assert.False(Directory.Exists($"/proc/{sleeper}"), $"the program outlived the app\n{second.Transcript}");
    }

    private static Dictionary<string, string> Token(string token) => new() { ["POD_TOKEN"] = token };
}

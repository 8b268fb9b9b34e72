using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// A process stopped at the checkpoint comes back stopped by the same signal, whichever way it is restored:
/// its parent's waitid(WSTOPPED | WNOWAIT) and waitpid(WUNTRACED) report the WSTOPSIG they reported before
/// the checkpoint (the kernel reports the stop anew after a restore: CRIU stops the process again). On crik's
/// fill CRIU stops every process with SIGSTOP (--leave-stopped), and crik puts each original signal back.
/// CRIU dumps only processes stopped by SIGSTOP or SIGTSTP: one stopped by SIGTTIN or SIGTTOU fails the dump.
/// </summary>
public class StopSignalTests
{
    private static readonly string[] Dumpable = ["SIGSTOP", "SIGTSTP"];

    [CriuTheory]
    [InlineData("on crik's fill")]
    [InlineData("lazily")]
    [InlineData("from CRIU's stream")]
    [InlineData("from image files")]
    public void EachProcessStoppedAtTheCheckpointIsStoppedAgainByItsOwnSignalAfterTheRestore(string path)
    {
        using var pods = new Pods(path switch { "lazily" => "lazyRestore: on\n", "from image files" => "", _ => "lazyRestore: off\n" });
        string restored = Path.Combine(pods.Root, "restored");
        string[] app = [.. App(restored), .. path == "from image files" ? ["reserve"] : Array.Empty<string>(), .. Dumpable];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("count 3");
            Assert.Equal(Dumpable.Select(s => $"before {s} {Number(s)}"), Lines(first, "before "));
            Pods.CheckpointAndStop(first);
        }
        using CrikRun second = pods.StartWith(path == "from CRIU's stream" ? FilledRestoreTests.WithoutUserfault : [], app);
        Assert.Contains(path, second.WaitForLine("Restored checkpoint 1", TimeSpan.FromSeconds(60), stderr: true), StringComparison.Ordinal);
        File.WriteAllText(restored, "");
        second.WaitForLine($"after {Dumpable[^1]}", TimeSpan.FromSeconds(60));
        Assert.True(Dumpable.Select(s => $"after {s} waitid {Number(s)} waitpid {Number(s)}").SequenceEqual(Lines(second, "after ")), second.Transcript);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 3);
        Assert.True(Pods.Counts(second)[0] > 0, second.Transcript);
        second.Signal(Native.SIGKILL);
    }

    [CriuTheory]
    [InlineData("SIGTTIN")]
    [InlineData("SIGTTOU")]
    public void AProcessStoppedBySigttinOrSigttouCannotBeDumpedAndTheAppGetsItsSigterm(string signal)
    {
        using var pods = new Pods();
        using CrikRun pod = pods.Start([.. App(Path.Combine(pods.Root, "restored")), signal]);
        pod.WaitForLine("count 3");
        pod.Signal(Native.SIGTERM);
        string failed = pod.WaitForLine("Checkpoint 1 failed", stderr: true);
        Assert.Contains($"unsupported stop signal {Number(signal)}", failed, StringComparison.Ordinal);
        Assert.Equal(143, pod.WaitForExit());
        Assert.Empty(pods.Committed());
    }

    private static string[] App(string restoredFile) => ["python3", Paths.App("stopped-children.py"), restoredFile];

    private static IEnumerable<string> Lines(CrikRun pod, string prefix) => pod.Stdout.Where(l => l.StartsWith(prefix, StringComparison.Ordinal));

    private static int Number(string signal) => signal switch { "SIGSTOP" => 19, "SIGTSTP" => 20, "SIGTTIN" => 21, _ => 22 };
}

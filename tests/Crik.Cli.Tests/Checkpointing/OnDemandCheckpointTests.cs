using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>crik checkpoint [--exit], from a second process in the same container, over the control socket.</summary>
public class OnDemandCheckpointTests
{
    [CriuFact]
    public void CrikCheckpointCommitsAGenerationTheAppRunsOnFromAndTheNextPodRestores()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 3");
            (int code, string output, string error) = CrikCheckpoint(first);
            Assert.True(code == 0, $"{output}{error}\n{first.Transcript}");
            Assert.Matches(@"^Checkpoint 1 committed in \d+\.\d\d s: [\d.]+ [KMG]?i?B$", output.Trim());
            int atCheckpoint = Pods.Counts(first).Last();
            first.WaitForLine(_ => Pods.Counts(first).Last() >= atCheckpoint + 5); // it runs on
            Assert.Equal(["checkpoint-000001"], pods.Committed());
            first.Signal(Native.SIGKILL);
        }
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        second.WaitForLine("Restored checkpoint 1", stderr: true);
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void CrikCheckpointExitStopsTheAppAfterTheCommitAndCrikExitsZero()
    {
        using var pods = new Pods();
        using CrikRun pod = pods.Start("sh", "-c", Pods.Counter());
        pod.WaitForLine("count 3");
        (int code, string output, _) = CrikCheckpoint(pod, "--exit");
        Assert.True(code == 0, output + pod.Transcript);
        Assert.EndsWith("the app is stopped and crik exits", output.Trim(), StringComparison.Ordinal);
        Assert.Equal(0, pod.WaitForExit());
        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint 1", stderr: true);
        next.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A second <c>crik checkpoint</c> that comes after the first was taken, before its checkpoint started, is refused as one
    /// while a checkpoint is in progress. Before, only a running checkpoint refused it: it was queued, and a second
    /// checkpoint froze the app straight after the first.
    /// </summary>
    [CriuFact]
    public async Task ASecondRequestBeforeTheFirstsCheckpointStartsIsRefused()
    {
        using var pods = new Pods();
        using CrikRun run = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_CONTROL_TAKE_PAUSE_MS"] = "2000" }, "sh", "-c", Pods.Counter());
        run.WaitForLine("count 2");
        Task<(int Code, string Output, string Error)> first = Task.Run(() => CrikCheckpoint(run));
        run.WaitForLine("pausing 2000 ms at CRIK_TEST_CONTROL_TAKE_PAUSE_MS", stderr: true);
        (int code, _, string error) = CrikCheckpoint(run);
        Assert.Equal(1, code);
        Assert.Equal("crik checkpoint: a checkpoint is already in progress; try again when it is committed", error.Trim());
        (int firstCode, string firstOutput, string firstError) = await first;
        Assert.True(firstCode == 0, firstOutput + firstError);
        (int third, string thirdOutput, string thirdError) = CrikCheckpoint(run); // answered, so the next one is taken
        Assert.True(third == 0, thirdOutput + thirdError);
        Assert.Equal("checkpoint-000002", pods.Committed().Last());
        run.Signal(Native.SIGKILL);
    }

    private const string RunIsOver = "crik checkpoint: the app's run under this crik is over (it exited, or crik stopped it; crik's log says which): "
        + "no checkpoint was taken for this request";

    private const string LoopHeld = "crik test: holding at CRIK_TEST_LOOP_TURN_HOLD_FILE";

    /// <summary>
    /// A request that waits for the supervisor when the app ends is answered with why it was not taken. Before, nothing read it,
    /// and the asker learnt only that crik closed the connection without an answer, once crik had exited.
    /// </summary>
    [NamespaceFact]
    public void ARequestWaitingWhenTheAppEndsIsToldWhy()
    {
        using var dir = new TempDirectory();
        string hold = dir.Write("loop-held", "");
        using CrikRun run = CrikRun.Start(["run", "--log-level", "debug", "--", "sh", "-c", "echo ready; sleep 1; echo ending; exit 3"],
            environment: new Dictionary<string, string> { ["CRIK_TEST_LOOP_TURN_HOLD_FILE"] = hold });
        run.WaitForLine("ending");
        run.WaitForLine(LoopHeld, stderr: true); // woken by the app's end
        (int code, string error) = AskWhileTheLoopIsHeld(run, hold);
        Assert.Equal(1, code);
        Assert.Equal(RunIsOver, error.Trim());
        Assert.Equal(3, run.WaitForExit());
    }

    /// <summary>A request that waits while crik takes a SIGTERM's checkpoint is told why it was not taken; the SIGTERM's commits.</summary>
    [CriuFact]
    public void ARequestWaitingBehindASigtermsCheckpointIsToldWhy()
    {
        using var pods = new Pods();
        string hold = Path.Combine(pods.Root, "loop-held");
        File.WriteAllText(hold, "");
        using CrikRun run = CrikRun.Start(["run", "--log-level", "debug", "--config", pods.ConfigPath, "--", "sh", "-c", Pods.Counter()],
            environment: new Dictionary<string, string> { ["CRIK_TEST_LOOP_TURN_HOLD_FILE"] = hold });
        run.WaitForLine("count 2");
        run.Signal(Native.SIGTERM);
        run.WaitForLine(LoopHeld, stderr: true); // woken by the SIGTERM
        (int code, string error) = AskWhileTheLoopIsHeld(run, hold);
        Assert.Equal(1, code);
        Assert.Equal(RunIsOver, error.Trim());
        Assert.Equal(0, run.WaitForExit());
        Assert.Equal(["checkpoint-000001"], pods.Committed());
    }

    /// <summary>Asks for a checkpoint while the supervisor's loop is held, and lets the loop go once the request waits for the supervisor.</summary>
    private static (int Code, string Error) AskWhileTheLoopIsHeld(CrikRun run, string hold)
    {
        Task<(int Code, string Output, string Error)> asked = Task.Run(() => CrikCheckpoint(run));
        run.WaitForLine("A crik checkpoint request waits for the supervisor", TimeSpan.FromSeconds(30), stderr: true);
        File.Delete(hold);
        (int code, _, string error) = asked.GetAwaiter().GetResult();
        return (code, error);
    }

    [NamespaceFact]
    public void WithCheckpointingOffOrNoCrikTheAnswerSaysWhy()
    {
        using CrikRun plain = CrikRun.Start(["run", "--", "sh", "-c", "echo ready; sleep 60"]);
        plain.WaitForLine("ready");
        Poll.Until(() => File.Exists(plain.ControlSocket), "crik's control socket");
        (int code, _, string error) = CrikCheckpoint(plain);
        Assert.Equal(1, code);
        Assert.Equal("crik checkpoint: checkpointing is off: no imageDir is configured", error.Trim());
        plain.Signal(Native.SIGKILL);
        plain.WaitForExit();

        (int noCrik, _, string nobody) = CrikCheckpoint(plain);
        Assert.Equal(1, noCrik);
        Assert.StartsWith($"crik checkpoint: no crik is listening at {plain.ControlSocket}", nobody, StringComparison.Ordinal);
    }

    /// <summary>
    /// A control socket path crik cannot listen at (relative, or past a unix socket's 107 bytes) costs only the control
    /// socket: the app runs, and crik checkpoint says what is wrong in one line. Before, crik run failed (exit 125) before
    /// the app started, and crik checkpoint printed a stack trace.
    /// </summary>
    [NamespaceFact]
    public void AControlSocketPathCrikCannotListenAtCostsOnlyTheControlSocket()
    {
        string tooLong = "/tmp/" + new string('s', 120);
        foreach (string path in new[] { "control.sock", tooLong })
        {
            using CrikRun run = CrikRun.Start(["run", "--", "sh", "-c", "echo ready; sleep 60"], environment: new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = path });
            run.WaitForLine("ready");
            // The app's line may come before crik's warning is read: waited for, not looked up.
            run.WaitForLine("No control socket: CRIK_CONTROL_SOCKET ", stderr: true);
            run.Signal(Native.SIGKILL);
            run.WaitForExit();
        }
        (int code, _, string error) = CrikCommand.Run(["checkpoint"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = tooLong });
        Assert.Equal(1, code);
        Assert.Equal($"crik checkpoint: CRIK_CONTROL_SOCKET is longer than a unix socket's 107 bytes, got \"{tooLong}\"", error.Trim());
    }

    /// <summary>Runs crik checkpoint as another process would in the pod's container, on its control socket.</summary>
    private static (int Code, string Output, string Error) CrikCheckpoint(CrikRun pod, params string[] args) =>
        CrikCommand.Run(["checkpoint", .. args], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = pod.ControlSocket });
}

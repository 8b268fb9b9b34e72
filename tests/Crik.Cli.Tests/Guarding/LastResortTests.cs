using Crik.Cli.Tests.Shipping;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>What no guard catches ends crik with one line and exit code 125; the shipped binary has no fault seam to trip.</summary>
public sealed class LastResortTests
{
    /// <summary>CRIK_FAULT=unguarded: a thread outside every guard throws half a second after start.</summary>
    [NamespaceFact]
    public void AnExceptionNobodyCaughtEndsCrikWith125AndOneFatalLine()
    {
        using CrikRun run = CrikRun.Start(["run", "--", "sh", "-c", Faults.Counter], environment: Faults.At("unguarded"));

        Assert.Equal(125, run.WaitForExit());
        string fatal = Assert.Single(run.Stderr, l => l.Contains(" FTL ", StringComparison.Ordinal));
        Assert.Contains("an exception nobody caught: Crik.Cli.Processes.FaultSeamException", fatal, StringComparison.Ordinal);
        // The stack comes next, and after it what becomes of the app.
        Assert.Contains(run.Stderr, l => l.Contains("crik cannot go on: it exits with 125", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Stderr, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    /// <summary>
    /// Not PID 1 (started by a shell or under another init), crik's exit ends none of the processes below it: a crik that fails,
    /// on a thread no guard covers or in its loop, kills the app and what the app left to it first. Else the app would run on
    /// beside the one a crik started again restores. The fault waits until the app's processes are all there.
    /// </summary>
    [Theory]
    [InlineData("unguarded once the app runs")]
    [InlineData("once the app runs")]
    public void NotPid1ACrikThatFailsKillsTheAppAndWhatItLeftBehindFirst(string point)
    {
        string dir = Directory.CreateTempSubdirectory("crik-last-resort-").FullName;
        string token = $"{Random.Shared.Next(100_000, 999_999)}";
        try
        {
            // A daemon the app leaves behind (its parent exits, so it is crik's), and the app's own child.
            string app = $"sh -c 'exec sleep 1{token}' & sleep 2{token} & (sh -c 'exec sleep 3{token}' &) ; touch {dir}/ready; wait";
            var environment = Faults.At(point, new Dictionary<string, string> { ["CRIK_TEST_FAULT_HOLD_FILE"] = $"{dir}/ready" });
            using CrikRun run = CrikRun.Start(["run", "--", "sh", "-c", app], asPid1: false, environment: environment);
            Assert.Equal(125, run.WaitForExit());
            Assert.True(File.Exists($"{dir}/ready"), "the app's processes were all there before the fault");
            Poll.Until(() => Living(token).Count == 0, "every process of the app to be gone", TimeSpan.FromSeconds(10));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The processes, not zombies, whose command line holds <paramref name="token"/>.</summary>
    private static List<int> Living(string token) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Select(n => int.TryParse(n, out int pid) ? pid : 0).Where(pid => pid > 0)
            .Where(pid =>
            {
                try
                {
                    return File.ReadAllText($"/proc/{pid}/cmdline").Contains(token, StringComparison.Ordinal)
                        && !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1].StartsWith('Z');
                }
                catch (IOException)
                {
                    return false;
                }
            }).ToList();

    /// <summary>The NativeAOT crik (CRIK_BIN), named outright: CrikRun would otherwise run the Debug build for a CRIK_FAULT.</summary>
    [NativeAotFact]
    public void TheShippedBinaryIgnoresTheFaultSeam()
    {
        Assert.True(NativeAotBinary.Missing is null, NativeAotBinary.Missing); // without it Paths.Crik is the Debug build, which has the seam
        using CrikRun run = CrikRun.Start(["run", "--", "sh", "-c", "sleep 2; echo app-done; exit 3"], asPid1: false,
            environment: Faults.At("unguarded"), binary: Paths.Crik);

        Assert.Equal(3, run.WaitForExit());
        Assert.Contains("app-done", run.Stdout);
        Assert.DoesNotContain(run.Stderr, l => l.Contains(" FTL ", StringComparison.Ordinal) || l.Contains("FaultSeam", StringComparison.Ordinal));
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

// The lease's watchdog signals the app by its PID, which is the app's only until crik reaps it.
public sealed partial class FencingTests
{
    /// <summary>
    /// The app is killed while frozen for a lease in doubt; crik reaps it, and another process of the pod takes its PID and
    /// leads a group of that number while the watchdog has not yet stopped for the app's end (a 20 s pause there). The watchdog,
    /// which each tick stops again whatever of a frozen app runs, leaves that process running, and the store's return, which
    /// thaws a frozen app, sends it no SIGCONT. Before, the watchdog's next tick stopped it, and the thaw woke it; and when one
    /// of crik's own threads took the number first (the thread pool adds threads while the pause holds one), the watchdog
    /// signalled crik's threads, and crik was gone before the test could look.
    /// </summary>
    [S3CriuFact]
    public void AProcessThatTookTheFrozenAppsPidIsNeitherStoppedNorThawedByTheWatchdog()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = Config("pid-taken", "leaseDuration: 4s\n");
        using CrikRun pod = Start(config, proxy.Endpoint, seam: ("CRIK_TEST_WATCHDOG_STOP_PAUSE_MS", "20000"));
        string app = Regex.Match(pod.WaitForLine("as PID ", stderr: true), @"as PID (\d+)").Groups[1].Value;
        FrozenByAnOutage(pod, proxy);

        string got = Path.Combine(_dir.Path, "pid-taker-got-a-signal");
        string planted = InThePod(pod, "python3", Paths.App("take-the-pid.py"), app, got).Trim();
        Assert.Equal(app, planted);
        var watched = TimeSpan.FromSeconds(2); // a hundred of the watchdog's ticks
        for (var since = System.Diagnostics.Stopwatch.StartNew(); since.Elapsed < watched; Thread.Sleep(50))
        {
            Assert.True(StateInThePod(pod, app) != 'T', $"the watchdog stopped the process that took the app's PID\n{pod.Transcript}");
        }

        int keptBefore = pod.Stderr.Count(l => l.Contains(KeptLine, StringComparison.Ordinal));
        proxy.Fail(0, 503);
        pod.WaitForLine(_ => pod.Stderr.Count(l => l.Contains(KeptLine, StringComparison.Ordinal)) > keptBefore, TimeSpan.FromSeconds(15), stderr: true);
        Assert.True(StateInThePod(pod, app) != 'T', pod.Transcript);
        Thread.Sleep(500); // its handler writes what it got
        Assert.False(File.Exists(got), $"the process that took the app's PID got crik's signals for the app: {(File.Exists(got) ? File.ReadAllText(got) : "")}");
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("ran while it was frozen for the lease", StringComparison.Ordinal));
        pod.Signal(Native.SIGKILL);
    }

    /// <summary>Runs a command in the pod's PID and mount namespaces; what it printed.</summary>
    private static string InThePod(CrikRun pod, params string[] command) =>
        HostCommand.Output("nsenter", ["-t", pod.CrikPid.ToString(CultureInfo.InvariantCulture), "-p", "-m", "--", .. command]);

    /// <summary>The state letter of the pod's process <paramref name="pid"/> (its PID in the pod), from its /proc/PID/stat.</summary>
    private static char StateInThePod(CrikRun pod, string pid)
    {
        (int code, string error) = HostCommand.Run("nsenter", "-t", pod.CrikPid.ToString(CultureInfo.InvariantCulture), "-p", "-m", "--",
            "sh", "-c", $"cat /proc/{pid}/stat >&2");
        Assert.True(code == 0, $"the pod's process {pid} cannot be read: {error}\n{pod.Transcript}");
        return error[error.LastIndexOf(')') + 2];
    }
}

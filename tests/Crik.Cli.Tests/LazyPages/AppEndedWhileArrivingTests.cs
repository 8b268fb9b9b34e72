using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// A lazily restored app that ends while its memory still arrives (it exits, or is killed): crik reads no more
/// of it, says the app ended before its memory was all in (never that it is all in), and exits with the app's
/// own status, at once rather than after the rest of the fill.
/// </summary>
public class AppEndedWhileArrivingTests
{
    [CriuFact]
    public void TheFillStopsAndSaysTheAppEndedFirst()
    {
        using var pods = new Pods("lazyRestore: on\n");
        string[] app = ["python3", Paths.App("big-memory.py"), "64"];
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("allocated 64", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(first);
        }
        // Each chunk of the fill waits 100 ms: 64 MiB would take seconds more to arrive.
        using CrikRun second = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_FILL_PACE_MS"] = "100" }, app);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        int appPid = int.Parse(File.ReadAllText($"/proc/{second.CrikPid}/task/{second.CrikPid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0],
            System.Globalization.CultureInfo.InvariantCulture);
        Native.Signal(appPid, Native.SIGKILL);
        Assert.Equal(128 + Native.SIGKILL, second.WaitForExit(TimeSpan.FromSeconds(30)));
        string ended = Assert.Single(second.Stderr, l => l.Contains("before its memory was all in", StringComparison.Ordinal));
        Assert.Matches(@"the app ended \d+\.\d\d s after the restore began, before its memory was all in \([\d.]+ [KMG]?i?B copied in\); crik reads no more of it", ended);
        Assert.DoesNotContain(second.Stderr, l => l.Contains("the app's memory is all in", StringComparison.Ordinal));
    }
}

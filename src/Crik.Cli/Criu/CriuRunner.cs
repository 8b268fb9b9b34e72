using System.Diagnostics;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Criu;

/// <summary>How one CRIU run ended.</summary>
internal sealed record CriuResult(WaitStatus Status, TimeSpan Duration, bool TimedOut, string LogFile)
{
    public bool Succeeded => !TimedOut && Status.Exited && Status.ExitCode == 0;

    /// <summary>A one-line account of a failure: the exit or timeout, and CRIU's last error line.</summary>
    public string Describe(TimeSpan? timeout = null) =>
        (TimedOut ? $"criu did not finish within {timeout?.TotalSeconds:0.#} s and was killed" : $"criu ended with {Status}")
        + $": {CriuRunner.FirstError(LogFile)}";
}

/// <summary>Runs the criu binary from PATH as a child of crik, with its output in a file beside its log.</summary>
internal sealed class CriuRunner(ChildReaper reaper)
{
    /// <param name="keepStdio">Give criu crik's own stdout and stderr (a restore hands them to the app
    /// with --inherit-fd); otherwise its output goes to LOG.out.</param>
    public async Task<CriuResult> RunAsync(IReadOnlyList<string> arguments, string logFile, TimeSpan timeout, bool keepStdio = false)
    {
        string consoleFile = logFile + ".out";
        var clock = Stopwatch.StartNew();
        TrackedChild child = reaper.Start(() => Spawner.Spawn(
            new SpawnRequest(["criu", .. arguments], OutputPath: keepStdio ? null : consoleFile)));
        bool timedOut = false;
        try
        {
            await child.Exited.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            timedOut = true;
            Posix.TrySignal(child.Pid, Signal.SIGKILL);
        }
        WaitStatus status = await child.Exited.ConfigureAwait(false);
        if (new FileInfo(consoleFile) is { Exists: true, Length: 0 })
        {
            File.Delete(consoleFile);
        }
        return new CriuResult(status, clock.Elapsed, timedOut, logFile);
    }

    /// <summary>criu's version, e.g. "4.2.1", or "unknown".</summary>
    public async Task<string> VersionAsync(string scratchDir)
    {
        string output = Path.Combine(scratchDir, $"criu-version-{Environment.ProcessId}.txt");
        try
        {
            TrackedChild child = reaper.Start(() => Spawner.Spawn(new SpawnRequest(["criu", "--version"], OutputPath: output)));
            await child.Exited.ConfigureAwait(false);
            string? line = File.ReadLines(output).FirstOrDefault(l => l.StartsWith("Version:", StringComparison.Ordinal));
            return line?["Version:".Length..].Trim() ?? "unknown";
        }
        catch (Exception e) when (e is IOException or SpawnException)
        {
            return "unknown";
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>
    /// The first telling "Error" line of a CRIU log (or of what criu printed), for a one-line report:
    /// CRIU's closing "Dumping FAILED." and its harmless RLIMIT_NOFILE complaint are passed over.
    /// </summary>
    public static string FirstError(string logFile)
    {
        foreach (string file in new[] { logFile, logFile + ".out" })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            var errors = File.ReadLines(file).Where(l => l.Contains("Error", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
            string? cause = errors.FirstOrDefault(l => !l.Contains("RLIMIT_NOFILE", StringComparison.Ordinal)
                && !l.EndsWith("FAILED.", StringComparison.Ordinal)) ?? errors.LastOrDefault();
            if (cause is not null)
            {
                return cause;
            }
        }
        return "no error line in its log";
    }
}

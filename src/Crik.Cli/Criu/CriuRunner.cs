// Criu/ owns CRIU's command lines (a pure function), running CRIU, and the little of its image format crik reads;
// the store decides where its files go.
using System.Diagnostics;
using Crik.Cli.Interop;
using Crik.Cli.Privileges;
using Crik.Cli.Processes;
using Microsoft.Win32.SafeHandles;
using Serilog;

namespace Crik.Cli.Criu;

/// <summary>
/// Runs the criu binary from PATH as a child of crik. Its log and console output go into the work
/// directory the image store made for this run; nothing here chooses a path.
/// </summary>
/// <param name="kernelFeatures">Ends once CRIU's view of the kernel is kept for it (<see cref="KernelFeatureCache"/>), or given up.</param>
/// <param name="log">Told when criu leaves a question unanswered.</param>
internal sealed class CriuRunner(ChildReaper reaper, Task? kernelFeatures = null, ILogger? log = null)
{
    /// <summary>How long a dump or restore waits for <c>kernelFeatures</c>: its probes are under way, and criu would only run them again.</summary>
    private static readonly TimeSpan KernelFeaturesWait = TimeSpan.FromSeconds(1);

    /// <summary>How long <c>criu --version</c> or <c>criu --help</c> may take: they print and end. A checkpoint waits for both.</summary>
    private static readonly TimeSpan QueryLimit = TimeSpan.FromSeconds(10);

    /// <summary>How long <c>criu check --feature</c> may take: it runs CRIU's kernel probes first.</summary>
    private static readonly TimeSpan FeatureCheckLimit = TimeSpan.FromSeconds(30);

    /// <param name="keepStdio">Give criu crik's own stdout and stderr (a restore hands them to the app
    /// with --inherit-fd); otherwise its output goes to LOG.out in the work directory.</param>
    /// <param name="kill">Ends criu when cancelled (what it is being fed turned out to be bad), as the timeout does.</param>
    /// <param name="waitedForProbes">Called when criu had to wait for crik's run of the kernel probes to end, before it starts.</param>
    /// <param name="ownProcessGroup">Start criu in a process group of its own, which is asked to stop, and killed only if it does
    /// not, at the timeout or <paramref name="kill"/> (<see cref="CriuProcessGroup"/>): a dump or pre-dump. A restore passes false,
    /// and is killed at once: the processes it restores start in criu's group, and take their own sessions and groups from the
    /// images.</param>
    public async Task<CriuResult> RunAsync(IReadOnlyList<string> arguments, CriuWorkDir work, TimeSpan timeout, bool keepStdio = false,
        Action? waitedForProbes = null, bool ownProcessGroup = true, CancellationToken kill = default)
    {
        var clock = Stopwatch.StartNew();
        if (kernelFeatures is { IsCompleted: false })
        {
            await Task.WhenAny(kernelFeatures, Task.Delay(KernelFeaturesWait, CancellationToken.None)).ConfigureAwait(false);
            waitedForProbes?.Invoke();
        }
        var request = new SpawnRequest(["criu", .. arguments, .. PrivilegeArguments()], OutputPath: keepStdio ? null : work.ConsoleFile);
        long startedAt = MonotonicClock.Now();
        TrackedChild child = ownProcessGroup ? CriuProcessGroup.Start(reaper, request) : reaper.Start(() => Spawner.Spawn(request));
        bool stoppedAtTimeout = false;
        using (var ending = CancellationTokenSource.CreateLinkedTokenSource(kill))
        {
            ending.CancelAfter(TimeSpan.FromTicks(Math.Clamp(timeout.Ticks, 0, TimeSpan.FromDays(24).Ticks)));
            try
            {
                await child.Exited.WaitAsync(ending.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                stoppedAtTimeout = !kill.IsCancellationRequested;
                await EndAsync(child, ownProcessGroup).ConfigureAwait(false);
            }
        }
        WaitStatus status = await child.Exited.ConfigureAwait(false);
        bool timedOut = CriuResult.CountsAsTimedOut(status, stoppedAtTimeout);
        // criu has run: what it did (a restored app may be running) must reach the caller, so
        // reading its log can no longer fail the run.
        string firstError;
        try
        {
            if (new FileInfo(work.ConsoleFile) is { Exists: true, Length: 0 })
            {
                File.Delete(work.ConsoleFile);
            }
            // Read only when criu failed: a restore's log runs to thousands of lines, read while the app comes back.
            firstError = CriuResult.Success(status, timedOut) ? "" : FirstError(work.LogFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            firstError = $"its log could not be read: {e.Message}";
        }
        return new CriuResult(status, clock.Elapsed, timedOut, firstError, startedAt);
    }

    private Task EndAsync(TrackedChild criu, bool ownProcessGroup)
    {
        if (ownProcessGroup)
        {
            return CriuProcessGroup.StopAsync(reaper, criu);
        }
        reaper.SignalUnlessReaped(criu, Signal.SIGKILL);
        return Task.CompletedTask;
    }

    /// <summary>criu's version, e.g. "4.2.1", or "unknown".</summary>
    public async Task<string> VersionAsync()
    {
        string? line = (await OutputLinesAsync(reaper, log, "--version", 4096, "CRIU's version as unknown").ConfigureAwait(false))?
            .FirstOrDefault(l => l.StartsWith("Version:", StringComparison.Ordinal));
        return line?["Version:".Length..].Trim() ?? "unknown";
    }

    private readonly Lazy<Task<string[]>> _helpLines = new(async () => await OutputLinesAsync(reaper, log, "--help", 64 * 1024,
        "none of the options of its CRIU patches as there, so each checkpoint reads all of the app's memory").ConfigureAwait(false) ?? []);

    /// <summary>
    /// Whether <c>criu --help</c> lists <paramref name="option"/>: an option a patch of crik's adds (criu-patches/) is there
    /// only in a CRIU built with it. False when criu cannot be run. criu is asked once.
    /// </summary>
    public async Task<bool> ListsOptionAsync(string option) =>
        (await _helpLines.Value.ConfigureAwait(false)).Any(l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));

    /// <summary>
    /// The lines <c>criu <paramref name="flag"/></c> prints (its first <paramref name="bytes"/>), through a file in memory, never a
    /// named file; null when criu cannot be run or has not ended within <see cref="QueryLimit"/> (then <paramref name="log"/> is told
    /// what crik counts it as: <paramref name="unanswered"/>).
    /// </summary>
    private static async Task<string[]?> OutputLinesAsync(ChildReaper reaper, ILogger? log, string flag, int bytes, string unanswered)
    {
        try
        {
            using SafeFileHandle output = MemoryFile.Create($"crik-criu{flag[1..]}");
            TrackedChild child = CriuProcessGroup.Start(reaper, new SpawnRequest(["criu", flag], OutputPath: MemoryFile.ProcPath(output)));
            if (await CriuProcessGroup.EndedWithinAsync(reaper, child, QueryLimit).ConfigureAwait(false) is null)
            {
                log?.Warning("criu {Flag} did not answer within {Seconds:0} s and was killed: crik counts {Unanswered}", flag, QueryLimit.TotalSeconds, unanswered);
                return null;
            }
            var buffer = new byte[bytes];
            int read = RandomAccess.Read(output, buffer, 0);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read).Split('\n');
        }
        catch (Exception e) when (e is IOException or SpawnException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <c>criu check --feature NAME</c> passes (e.g. "mem_dirty_track", which pre-dumps need);
    /// null when criu cannot be run or has not ended within <see cref="FeatureCheckLimit"/>. What it prints goes to a file in memory.
    /// </summary>
    public async Task<bool?> HasFeatureAsync(string feature)
    {
        try
        {
            using SafeFileHandle output = MemoryFile.Create("crik-criu-check");
            TrackedChild child = CriuProcessGroup.Start(reaper, new SpawnRequest(["criu", "check", "--feature", feature, .. PrivilegeArguments()],
                OutputPath: MemoryFile.ProcPath(output)));
            return await CriuProcessGroup.EndedWithinAsync(reaper, child, FeatureCheckLimit).ConfigureAwait(false) is { } status
                ? status.Exited && status.ExitCode == 0
                : null;
        }
        catch (Exception e) when (e is IOException or SpawnException)
        {
            return null;
        }
    }

    private static string[] PrivilegeArguments() =>
        CriuArguments.ForPrivileges(Posix.EffectiveUserId, CapabilitySet.Own().Has(Capability.SysAdmin));

    /// <summary>Error lines CRIU logs on its way to success: a probe for /dev/net/tun, and RLIMIT_NOFILE it may not raise.</summary>
    private static readonly string[] HarmlessErrors = ["RLIMIT_NOFILE", "tun: Unable to create tun"];

    /// <summary>
    /// The first telling "Error" line of a CRIU log (or of what criu printed), for a one-line report:
    /// CRIU's closing "Dumping FAILED." and its harmless RLIMIT_NOFILE complaint are passed over.
    /// </summary>
    public static string FirstError(string logFile)
    {
        bool harmlessOnly = false;
        foreach (string file in new[] { logFile, logFile + ".out" })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            var errors = File.ReadLines(file).Where(l => l.Contains("Error", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
            harmlessOnly |= errors.Count > 0;
            errors.RemoveAll(l => HarmlessErrors.Any(h => l.Contains(h, StringComparison.Ordinal)));
            string? cause = errors.FirstOrDefault(l => !l.EndsWith("FAILED.", StringComparison.Ordinal)) ?? errors.LastOrDefault();
            if (cause is not null)
            {
                return cause;
            }
        }
        // Some refusals (wrong options, missing capabilities) are printed, not logged.
        string console = logFile + ".out";
        if (File.Exists(console) && File.ReadLines(console).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) is { } said)
        {
            return $"criu said \"{said}\"";
        }
        // A criu killed early (at a timeout) has logged, at most, complaints it makes on its way to success.
        return harmlessOnly ? "no telling error line in its log" : "no error line in its log";
    }
}

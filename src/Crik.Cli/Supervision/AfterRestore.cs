using System.Diagnostics;
using System.Globalization;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// The <c>afterRestore</c> program. A restored app keeps the environment of the pod it was checkpointed in; what the new
/// pod was given afresh (a token its server was issued for this start, say) reaches it only through a program that
/// hands it over. crik runs that program once the restored app runs, as crik's child with crik's environment (the new
/// pod's) and <c>CRIK_APP_PID</c>, its output on crik's. Its failure is said and changes nothing else: the app runs on.
/// </summary>
internal sealed class AfterRestore(IReadOnlyList<string> command, ChildReaper reaper, ILogger log)
{
    /// <summary>How long the program may run before crik kills it.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    /// <summary>Runs the program for the restored <paramref name="app"/> in the background; the task never faults.</summary>
    public Task RunAsync(RunningApp app) =>
        Guard.RunAsync("crik afterRestore", () => RunOnceAsync(app), (_, e) => log.Warning(
            "The afterRestore program {Program} failed: {Error}; the app runs on", command[0], e.Message));

    private async Task RunOnceAsync(RunningApp app)
    {
        var clock = Stopwatch.StartNew();
        TrackedChild child;
        try
        {
            var setting = new Dictionary<string, string>
            {
                ["CRIK_APP_PID"] = app.Pid.ToString(CultureInfo.InvariantCulture),
                ["CRIK_RESTORED_CHECKPOINT"] = app.Generation.ToString(CultureInfo.InvariantCulture),
            };
            child = reaper.Start(() => Spawner.Spawn(new SpawnRequest(command, Setting: setting)));
        }
        catch (SpawnException e)
        {
            log.Warning("Could not start the afterRestore program: {Error}; the app runs on without it", e.Message);
            return;
        }
        // Gone with the app: a program that hands something to an app that ended has no one to hand it to.
        using var timer = new CancellationTokenSource();
        Task ended = await Task.WhenAny(child.Exited, app.Exited, Task.Delay(Timeout, timer.Token)).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        if (ended != child.Exited)
        {
            reaper.SignalUnlessReaped(child, Signal.SIGKILL); // not by its bare PID: reaped, another process may have it
        }
        WaitStatus status = await child.Exited.ConfigureAwait(false);
        if (ended == child.Exited && status is { Exited: true, ExitCode: 0 })
        {
            log.Information("The afterRestore program {Program} (PID {Pid}) ended well in {Seconds:0.00} s", command[0], child.Pid, clock.Elapsed.TotalSeconds);
            return;
        }
        string why = ended == child.Exited ? $"ended with {status}"
            : ended == app.Exited ? "was killed: the app ended first"
            : $"was killed after {Timeout.TotalSeconds:0} s";
        log.Warning("The afterRestore program {Program} (PID {Pid}) {Why}; the app runs on, without what it was to be given (its output is above)",
            command[0], child.Pid, why);
    }
}

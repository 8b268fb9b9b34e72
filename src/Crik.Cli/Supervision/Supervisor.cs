using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// Owns the running app and the signal loop: forwards signals to the app's process group, turns the
/// first SIGTERM into a checkpoint when one is configured, and ends with the app's exit code.
/// </summary>
internal sealed class Supervisor(SignalRelay signals, ICheckpointTrigger? checkpoint, ILogger log)
{
    private static readonly TimeSpan StoppedAppGrace = TimeSpan.FromSeconds(5);

    public async Task<int> SuperviseAsync(RunningApp app)
    {
        bool checkpointTried = false;
        while (true)
        {
            Task<bool> signalArrived = signals.Received.WaitToReadAsync().AsTask();
            await Task.WhenAny(app.Exited, signalArrived).ConfigureAwait(false);
            if (app.Exited.IsCompleted)
            {
                return AppEnded(app, await app.Exited.ConfigureAwait(false));
            }
            while (signals.Received.TryRead(out int signal))
            {
                if (signal == Libc.SIGTERM && checkpoint is not null && !checkpointTried)
                {
                    checkpointTried = true;
                    if (await checkpoint.TryCheckpointAsync(app).ConfigureAwait(false))
                    {
                        return await CheckpointedAsync(app).ConfigureAwait(false);
                    }
                }
                Forward(app, signal);
            }
        }
    }

    private void Forward(RunningApp app, int signal)
    {
        bool delivered = Posix.TrySignal(-app.Pid, signal);
        string name = Posix.SignalName(signal);
        if (!delivered)
        {
            log.Debug("Did not forward {Signal}: the app's process group {Pid} is gone", name, app.Pid);
        }
        else if (signal is Libc.SIGWINCH or Libc.SIGURG or Libc.SIGCONT)
        {
            log.Debug("Forwarded {Signal} to the app (process group {Pid})", name, app.Pid);
        }
        else
        {
            log.Information("Forwarded {Signal} to the app (process group {Pid})", name, app.Pid);
        }
    }

    private int AppEnded(RunningApp app, WaitStatus status)
    {
        int code = ExitCodes.FromWaitStatus(status);
        if (status.Exited)
        {
            log.Information("The app (PID {Pid}) exited with code {Code}", app.Pid, code);
        }
        else
        {
            log.Information("The app (PID {Pid}) was killed by {Signal}; exiting with {Code}", app.Pid, Posix.SignalName(status.TermSignal), code);
        }
        return code;
    }

    private async Task<int> CheckpointedAsync(RunningApp app)
    {
        // CRIU kills the dumped tree; wait for the reaper to see it so nothing outlives crik needlessly.
        try
        {
            await app.Exited.WaitAsync(StoppedAppGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            log.Warning("The app (PID {Pid}) is still running after its checkpoint; killing it", app.Pid);
            Posix.TrySignal(-app.Pid, Libc.SIGKILL);
        }
        return ExitCodes.Checkpointed;
    }
}

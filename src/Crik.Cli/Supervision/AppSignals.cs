using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// The signals crik receives, on their way to the app's process group: each is forwarded, except the first SIGTERM
/// when checkpointing is on, which is a checkpoint first (the app gets it when none is committed).
/// </summary>
internal sealed class AppSignals(SignalRelay relay, AppLife life, ChildReaper reaper, ILogger log)
{
    /// <summary>Completes when a signal is waiting to be handled.</summary>
    public Task Arrived() => relay.Arrived();

    /// <summary>A SIGTERM arrived that is not handled yet (it waits for the checkpoint under way).</summary>
    public bool SigtermWaiting => relay.SigtermWaiting;

    /// <summary>
    /// Forwards the signals that arrived; the first SIGTERM, with <paramref name="checkpoints"/>, is a checkpoint first.
    /// True when that checkpoint ends the app here (it was committed): the app must stop now.
    /// </summary>
    public async Task<bool> HandleAsync(AppCheckpoints? checkpoints)
    {
        while (relay.TryTake(out Signal signal))
        {
            if (signal == Signal.SIGTERM && checkpoints is not null && !life.Stopping)
            {
                life.Stopping = true;
                // Not committed: the app got its SIGTERM there (AfterCheckpoint), as soon as CRIU was done with it.
                if ((await checkpoints.TakeAsync(CheckpointReason.Sigterm).ConfigureAwait(false)).Plan.AppEndsHere)
                {
                    SayNotForwarded();
                    return true;
                }
                continue;
            }
            Forward(signal);
        }
        return false;
    }

    /// <summary>
    /// While a checkpoint the app runs on is under way: forwards the signals that arrived, in order, once crik no longer holds
    /// the app stopped (one sent to an app CRIU is dumping would be saved as pending, and come again after a restore), up to
    /// the first SIGTERM, which waits for the loop. Returns what to wait for before looking again.
    /// </summary>
    public Task ForwardWhileACheckpointRuns()
    {
        while (true)
        {
            if (life.Stops.HeldUntil() is { } held)
            {
                return held;
            }
            if (!relay.TryTakeBeforeSigterm(out Signal signal))
            {
                return relay.SigtermWaiting ? Wakeups.Never : relay.Arrived();
            }
            Forward(signal);
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to the app's process group, and says so; not once crik has reaped the app, whose PID may
    /// then name another's group.
    /// </summary>
    public void Forward(Signal signal)
    {
        RunningApp app = life.App;
        bool delivered = false;
        string name = Posix.SignalName(signal);
        TrackedChild root = app.Root;
        if (!life.Stops.Forward(signal, () => delivered = reaper.SignalUnlessReaped(root, signal, toItsGroup: true)))
        {
            log.Warning("Did not forward {Signal} to the app: it is frozen because crik cannot renew its lease on the image directory, and "
                + "only a renewal that succeeds lets it run again (else another pod could run it beside this one)", name);
            return;
        }
        if (delivered)
        {
            life.Forwarded(signal);
        }
        if (!delivered)
        {
            log.Debug("Did not forward {Signal}: the app (process group {Pid}) is gone", name, app.Pid);
        }
        else if (signal is Signal.SIGWINCH or Signal.SIGURG or Signal.SIGCONT)
        {
            log.Debug("Forwarded {Signal} to the app (process group {Pid})", name, app.Pid);
        }
        else
        {
            log.Information("Forwarded {Signal} to the app (process group {Pid})", name, app.Pid);
        }
    }

    /// <summary>
    /// The signals that came while a SIGTERM's checkpoint held the app's signals, once it was committed: the app stops here without
    /// them, and its restore does not get them either (they were never delivered). Said, not dropped in silence.
    /// </summary>
    private void SayNotForwarded()
    {
        var dropped = new List<string>();
        while (relay.TryTake(out Signal signal))
        {
            dropped.Add(Posix.SignalName(signal));
        }
        if (dropped.Count > 0)
        {
            log.Warning("Did not forward {Signals}, which came while the app was being checkpointed for SIGTERM: the checkpoint is committed, so the app "
                + "stops here without them, and its restore will not get them either", string.Join(", ", dropped));
        }
    }
}

using Crik.Cli.ImageStore;
using Crik.Cli.Interop;

namespace Crik.Cli.Supervision;

// The lock crik holds on the image directory for the app's life: an app whose lease is failing is
// frozen, and one whose lease is lost is killed, before another pod may take the lease over.
internal sealed partial class Supervisor
{
    private static readonly TimeSpan HoldCheckInterval = TimeSpan.FromMilliseconds(500);

    private bool _frozenForTheLease;

    /// <summary>
    /// A checkpoint of an app frozen for its lease would record it stopped, and it would come back
    /// stopped: it runs again first (CRIU freezes it itself for the dump), and stays running if the
    /// lease is still failing after the checkpoint until the next check.
    /// </summary>
    private void ThawForACheckpoint(RunningApp app)
    {
        if (_frozenForTheLease)
        {
            _frozenForTheLease = false;
            SignalTree(app, Signal.SIGCONT);
        }
    }

    /// <summary>Only a lease (object storage) can be lost while crik lives; a flock cannot.</summary>
    private Task NextHoldCheck() =>
        restorer?.Holding is not null ? Task.Delay(HoldCheckInterval) : Task.Delay(Timeout.Infinite);

    /// <summary>
    /// Freezes the app while the lease's renewals fail and resumes it once one succeeds; kills it when
    /// the lease is lost (another pod may take over and resume the newest checkpoint). Returns crik's
    /// exit code once the app is gone that way, else null.
    /// </summary>
    private async Task<int?> CheckHoldAsync(RunningApp app)
    {
        switch (restorer!.Holding)
        {
            case HoldState.Lost:
                SignalTree(app, Signal.SIGKILL);
                log.Error("crik lost its lease on the image directory, so another pod may now run the app: the app (PID {Pid}) was killed, "
                    + "so that it never runs twice. The next pod resumes from the newest checkpoint", app.Pid);
                await KillAndWaitAsync(app).ConfigureAwait(false);
                return ExitCodes.CrikFailure;
            case HoldState.Endangered when !_frozenForTheLease:
                _frozenForTheLease = true;
                SignalTree(app, Signal.SIGSTOP);
                log.Warning("crik cannot renew its lease on the image directory; the app (PID {Pid}) is frozen until a renewal succeeds, "
                    + "and is killed if the lease runs out (leaseDuration)", app.Pid);
                break;
            case HoldState.Held when _frozenForTheLease:
                _frozenForTheLease = false;
                SignalTree(app, Signal.SIGCONT);
                log.Information("crik renewed its lease again; the app (PID {Pid}) runs on", app.Pid);
                break;
        }
        return null;
    }
}

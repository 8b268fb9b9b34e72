using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Supervision;

// How the supervisor forwards a signal to the app (its whole tree is reached through AppTree).
internal sealed partial class Supervisor
{
    private void Forward(AppLife life, Signal signal)
    {
        RunningApp app = life.App;
        bool delivered = Posix.TrySignal(-app.Pid, signal);
        if (delivered)
        {
            life.Forwarded(signal);
        }
        string name = Posix.SignalName(signal);
        if (!delivered)
        {
            log.Debug("Did not forward {Signal}: the app's process group {Pid} is gone", name, app.Pid);
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
}

using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Supervision;

// How the supervisor signals the app: forwarding one signal to its group, or reaching its whole tree.
internal sealed partial class Supervisor
{
    /// <summary>
    /// Signals the app's process group and every process and thread of its tree (which reaches
    /// processes that left the group, and children forked after the tree was read).
    /// </summary>
    private static void SignalTree(RunningApp app, Signal signal)
    {
        Posix.TrySignal(-app.Pid, signal);
        foreach (int pid in ProcessTree.PidsAndThreads(app.Pid))
        {
            Posix.TrySignal(pid, signal);
        }
    }

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

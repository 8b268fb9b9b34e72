using Crik.Cli.Carrying;
using Crik.Cli.Commands;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Supervision;

// Before anything that takes time: the kernel drops a signal sent to PID 1 that has no handler, so a
// SIGTERM that arrives while crik reads its configuration or restores the app would be lost. From
// here on every forwarded signal is queued for the supervisor. What remains is the runtime's own
// start-up before this line (see docs/commands.md, "Signals before start-up completes").
// First of all, before the runtime's signal pipe can take a descriptor 0-2 that was closed at exec.
Crik.Cli.Interop.StandardDescriptors.Secure();
using var signals = new SignalRelay();
_ = ContainerStart.Time;
_ = CrikUptime.Elapsed;
DiagnosticsPort.RemoveSocket();
int exitCode = CrikCommandLine.Invoke(args, signals);
// crik's own threads held IDs a checkpoint needs (Restoring/PidRoom): its program starts again, as the same PID 1.
return SelfRestart.Requested is null ? exitCode : SelfRestart.Exec(ForwardedSignals.All, signals, exitCode);

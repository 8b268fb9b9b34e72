using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>How a child ended, decoded from a waitpid(2) status word.</summary>
internal readonly record struct WaitStatus(int Raw)
{
    /// <summary>The signal that killed the child, or 0 when it exited.</summary>
    public Signal TermSignal => Exited ? 0 : (Signal)(Raw & 0x7f);

    public bool Exited => (Raw & 0x7f) == 0;

    public int ExitCode => (Raw >> 8) & 0xff;

    public static WaitStatus FromExitCode(int code) => new((code & 0xff) << 8);

    public static WaitStatus FromSignal(Signal signal) => new((int)signal & 0x7f);

    public override string ToString() =>
        Exited ? $"exit code {ExitCode}" : $"signal {Posix.SignalName(TermSignal)}";
}

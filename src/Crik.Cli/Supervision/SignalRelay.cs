using System.Runtime.InteropServices;
using System.Threading.Channels;
using Crik.Cli.Interop;

namespace Crik.Cli.Supervision;

/// <summary>
/// Catches the forwarded signals and queues them, in order, for the supervisor: the handlers only
/// enqueue; a single consumer decides what each signal means.
/// </summary>
internal sealed class SignalRelay : IDisposable
{
    private readonly Channel<Signal> _received = Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<PosixSignalRegistration> _registrations = [];

    public SignalRelay()
    {
        foreach (Signal signal in ForwardedSignals.All)
        {
            // Started with it ignored (nohup, a shell's trap ''), crik would never see it: the .NET
            // runtime leaves an inherited SIG_IGN in place, and the app would never get it either.
            Posix.StopIgnoring(signal);
            // A raw Linux signal number is accepted on Linux; the handler remembers which one it is.
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)signal, context =>
            {
                context.Cancel = true;
                _received.Writer.TryWrite(signal);
            }));
        }
    }

    public ChannelReader<Signal> Received => _received.Reader;

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
    }
}

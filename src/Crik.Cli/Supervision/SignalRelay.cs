using System.Runtime.InteropServices;
using System.Threading.Channels;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Supervision;

/// <summary>
/// Catches the forwarded signals and queues them for the supervisor: the handlers only enqueue; a single consumer decides
/// what each signal means. The queue's order is the order the handlers run in, which the runtime's hand-off of each signal
/// to a thread of its own can swap for two that come within microseconds (docs/commands.md, "Signals in order").
/// </summary>
internal sealed class SignalRelay : ISignalHandOver, IDisposable
{
    private readonly Channel<Signal> _received = Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly Lock _handOverLock = new();
    private int _sigtermsWaiting, _execThread;

    public SignalRelay()
    {
        // Started with a signal ignored (nohup, a shell's background job or trap '') or blocked, crik would
        // never see it and the app would never get it. Ignoring is undone before the first registration, which
        // starts the runtime's signal handling: that looks at SIGINT, SIGQUIT and SIGCONT once, and leaves
        // any of them it finds ignored without a handler for good, however crik changes it afterwards. Blocking
        // is undone after: a signal that waited, blocked, since before the exec then reaches a handler.
        foreach (Signal signal in ForwardedSignals.All)
        {
            Posix.StopIgnoring(signal);
        }
        foreach (Signal signal in ForwardedSignals.All)
        {
            // A raw Linux signal number is accepted on Linux; the handler remembers which one it is.
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)signal, context =>
            {
                context.Cancel = true;
                Queue(signal);
            }));
        }
        // What the crik before this one received and had not handled when it started its program again (SelfRestart).
        foreach (Signal carried in SelfRestart.Carried())
        {
            Queue(carried);
        }
        _ = Posix.TryUnblockOnThisThread(ForwardedSignals.All);
    }

    /// <summary>Completes when a signal is waiting to be taken.</summary>
    public Task Arrived() => _received.Reader.WaitToReadAsync().AsTask();

    /// <summary>A SIGTERM was received and not taken yet: the supervisor handles it once the work under way is done.</summary>
    public bool SigtermWaiting => Volatile.Read(ref _sigtermsWaiting) > 0;

    /// <summary>The next signal queued, if one is waiting.</summary>
    public bool TryTake(out Signal signal)
    {
        if (!_received.Reader.TryRead(out signal))
        {
            return false;
        }
        if (signal == Signal.SIGTERM)
        {
            Interlocked.Decrement(ref _sigtermsWaiting);
        }
        return true;
    }

    /// <summary>The next signal received, if one is waiting and it is not a SIGTERM (which stays first in line).</summary>
    public bool TryTakeBeforeSigterm(out Signal signal)
    {
        if (_received.Reader.TryPeek(out signal) && signal != Signal.SIGTERM)
        {
            return TryTake(out signal);
        }
        signal = default;
        return false;
    }

    public IReadOnlyList<Signal> HandOver(int execThread)
    {
        lock (_handOverLock)
        {
            _execThread = execThread;
            var taken = new List<Signal>();
            while (TryTake(out Signal signal))
            {
                taken.Add(signal);
            }
            return taken;
        }
    }

    public void TakeBack()
    {
        lock (_handOverLock)
        {
            _execThread = 0;
        }
    }

    private void Queue(Signal signal)
    {
        Timing.WaitsBeforeTheApp.Received(signal);
        lock (_handOverLock)
        {
            // Taken or sent on, never both and never neither: a signal queued after the hand over would be read by no one.
            if (_execThread != 0 && Posix.TrySignalOwnThread(_execThread, signal))
            {
                return;
            }
            if (signal == Signal.SIGTERM)
            {
                Interlocked.Increment(ref _sigtermsWaiting); // before it can be taken
            }
            _received.Writer.TryWrite(signal);
        }
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
    }
}

using Crik.Cli.Locking;
using Crik.Cli.Records;

namespace Crik.Cli.Tests.Support;

/// <summary>
/// A lock whose state a test sets; it counts how often its state was looked at, and wakes its waiters at each change. Set
/// fenced or lost, it cuts the writes under it (<see cref="IStoreLock.WritesEnd"/>), as a lease does.
/// </summary>
internal sealed class SettableLock(HoldState state = HoldState.Held) : IStoreLock
{
    private readonly object _gate = new();
    private readonly CancellationTokenSource _writesEnd = new();
    private HoldState _state = state;
    private int _looks;

    /// <summary>How many times the state was read or a wait for its change returned.</summary>
    public int Looks => Volatile.Read(ref _looks);

    public HoldState State
    {
        get
        {
            Interlocked.Increment(ref _looks);
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public CancellationToken WritesEnd => _writesEnd.Token;

    public void Set(HoldState state)
    {
        lock (_gate)
        {
            _state = state;
            Monitor.PulseAll(_gate);
        }
        if (state is HoldState.Fenced or HoldState.Lost)
        {
            _writesEnd.Cancel();
        }
    }

    public HoldState WaitForChange(HoldState seen, TimeSpan atMost, CancellationToken stop)
    {
        using CancellationTokenRegistration woken = stop.UnsafeRegister(_ => Set(State), null);
        DateTime until = atMost < TimeSpan.Zero ? DateTime.MaxValue : DateTime.UtcNow + atMost;
        lock (_gate)
        {
            while (_state == seen && !stop.IsCancellationRequested && DateTime.UtcNow < until)
            {
                Monitor.Wait(_gate, until == DateTime.MaxValue ? Timeout.Infinite : Math.Max(1, (int)(until - DateTime.UtcNow).TotalMilliseconds));
            }
            Interlocked.Increment(ref _looks);
            return _state;
        }
    }

    public void Dispose() => _writesEnd.Dispose();
}

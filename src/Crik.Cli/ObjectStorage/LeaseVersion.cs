using System.Diagnostics;
using Crik.Cli.Decisions;
using Crik.Cli.Locking;
using Crik.Cli.Records;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// What a lease's holder knows of its lease object, under one lock: the version it wrote last, when that write started
/// (by its own clock), whether the store answered that the lease is another's, and whether it was released. Its state
/// comes from these by one rule (<see cref="LeaseHold"/>), and whoever waits for that state to change is woken by each
/// answer and at each time the rule names.
/// </summary>
internal sealed class LeaseVersion : IDisposable
{
    // A plain object, not a Lock: waiters for a change wait on it with Monitor.
    private readonly object _gate = new();
    private readonly LeaseTerms _terms;
    private string _etag;
    private long _writtenAt;
    private bool _lost;
    private bool _released;
    private CancellationTokenSource _writesEnd = new();
    private bool _disposed;

    public LeaseVersion(string etag, long writtenAt, LeaseTerms terms)
    {
        (_etag, _writtenAt, _terms) = (etag, writtenAt, terms);
        lock (_gate)
        {
            ScheduleWritesEndLocked();
        }
    }

    public LeaseTerms Terms => _terms;

    /// <summary>See <see cref="IStoreLock.WritesEnd"/>: cancelled at four fifths of the lifetime after the last renewal started, or once lost.</summary>
    public CancellationToken WritesEnd
    {
        get
        {
            lock (_gate)
            {
                return _disposed ? CancellationToken.None : _writesEnd.Token;
            }
        }
    }

    /// <summary>The state now. Once lost it stays lost, even if a renewal under way at that moment is answered later.</summary>
    public HoldState State
    {
        get
        {
            lock (_gate)
            {
                return StateLocked();
            }
        }
    }

    /// <summary>See <see cref="IStoreLock.WaitForChange"/>; a negative <paramref name="atMost"/> waits without a limit.</summary>
    public HoldState WaitForChange(HoldState seen, TimeSpan atMost, CancellationToken stop)
    {
        long started = Stopwatch.GetTimestamp();
        using CancellationTokenRegistration woken = stop.UnsafeRegister(static gate => Wake(gate!), _gate);
        lock (_gate)
        {
            while (true)
            {
                HoldState now = StateLocked();
                TimeSpan left = atMost < TimeSpan.Zero ? TimeSpan.MaxValue : atMost - Stopwatch.GetElapsedTime(started);
                if (now != seen || stop.IsCancellationRequested || left <= TimeSpan.Zero)
                {
                    return now;
                }
                TimeSpan byItself = LeaseHold.UntilChange(SeenLocked(_released)) ?? TimeSpan.MaxValue;
                Monitor.Wait(_gate, Milliseconds(byItself < left ? byItself : left));
            }
        }
    }

    /// <summary>The version written last and when, read together.</summary>
    public (string ETag, long WrittenAt) Last
    {
        get
        {
            lock (_gate)
            {
                return (_etag, _writtenAt);
            }
        }
    }

    /// <summary>The version to delete on release; null when nothing may be written under the lease (someone else's now, or may be: not ours to delete).</summary>
    public string? Releasable
    {
        get
        {
            lock (_gate)
            {
                // Timed out counts too, released or not: a crik frozen past its lease may wake and end before its renewal thread notices.
                return LeaseHold.AllowsWrites(LeaseHold.Of(SeenLocked(released: false))) ? _etag : null;
            }
        }
    }

    /// <summary>A renewal was answered: the lease runs from <paramref name="writing"/>, when its write started; a lease lost meanwhile stays lost.</summary>
    public void Renewed(string etag, long writing)
    {
        lock (_gate)
        {
            if (StateLocked() is HoldState.Lost)
            {
                return;
            }
            (_etag, _writtenAt) = (etag, writing);
            ScheduleWritesEndLocked();
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>A renewal of ours went through unanswered; when it landed is unknown, so the lease still runs from the last one known.</summary>
    public void Landed(string etag)
    {
        lock (_gate)
        {
            _etag = etag;
        }
    }

    /// <summary>The store answered that the lease is another's, or gone.</summary>
    public void Lose()
    {
        lock (_gate)
        {
            _lost = true;
            if (!_disposed)
            {
                // A timer of no delay cancels on its own thread: the cut writes' callbacks run neither here nor under the lock.
                _writesEnd.CancelAfter(TimeSpan.Zero);
            }
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The holder let the lease go: nothing is written under it any more, so it no longer times out.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _released = true;
            if (!_disposed)
            {
                _writesEnd.CancelAfter(Timeout.InfiniteTimeSpan); // nothing is written under it any more, and nothing is cut
            }
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Schedules <see cref="WritesEnd"/> at four fifths of the lifetime from the write that counts now, on a source of its own: the
    /// last one's timer may be firing this very moment (moving it would not stop that), and a write under way since before this
    /// renewal may be cut by it, never one started after.
    /// </summary>
    private void ScheduleWritesEndLocked()
    {
        if (_disposed)
        {
            return;
        }
        _writesEnd.CancelAfter(Timeout.InfiniteTimeSpan);
        _writesEnd = new CancellationTokenSource();
        TimeSpan left = LeaseHold.SafeLifetime(_terms.Lifetime) - Stopwatch.GetElapsedTime(_writtenAt);
        // A timer of no delay cancels at once on its own thread: Cancel here would run the cut writes' callbacks under the lock.
        _writesEnd.CancelAfter(left <= TimeSpan.Zero ? TimeSpan.Zero : left < LongestTimer ? left : LongestTimer);
    }

    /// <summary>The longest delay a timer takes (about 49 days); a lease that long is renewed long before.</summary>
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Stops the timer; a renewal thread still stuck on the store that is answered later changes nothing of it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _writesEnd.Dispose();
            }
        }
    }

    private HoldState StateLocked()
    {
        HoldState state = LeaseHold.Of(SeenLocked(_released));
        _lost |= state is HoldState.Lost;
        return state;
    }

    private LeaseSeen SeenLocked(bool released) => new(_lost, released, Stopwatch.GetElapsedTime(_writtenAt), _terms.Lifetime, _terms.DoubtLimit);

    private static void Wake(object gate)
    {
        lock (gate)
        {
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>Rounded up, so that a wait never ends just before the time it waits for; within what Monitor.Wait takes.</summary>
    private static int Milliseconds(TimeSpan wait) => (int)Math.Clamp(Math.Ceiling(wait.TotalMilliseconds), 1, int.MaxValue);
}

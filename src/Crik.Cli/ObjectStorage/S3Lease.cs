using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// The lock a volume gets from flock, for pods on different nodes sharing a prefix: a lease object
/// naming its holder, created only if absent and from then on replaced only by whoever wrote the
/// version it read (S3 conditional writes on the object's ETag), so at most one crik holds it. The
/// holder renews it while held; a holder that dies (a node lost mid-dump) stops renewing, and another
/// crik takes it over once it has seen the same version for a whole <see cref="DefaultLifetime"/> by its
/// own clock, so no two nodes' clocks need agree. On stores without conditional writes the lease is
/// written regardless: it then keeps nobody out.
/// </summary>
internal sealed class S3Lease : IStoreLock
{
    /// <summary>
    /// A renewal starts every quarter of the lifetime and its requests, retries included, get a fifth
    /// of it (the client's own 30 s per attempt would outlast the lease): after the last good renewal
    /// two more can each hang to their limit and still end (at 0.7 of the lifetime) before the holder
    /// counts the lease lost (0.8), and that before another crik may take it over (1.0, by its own
    /// clock). The lease object is a few dozen bytes; a store that cannot write it in 6 s is failing,
    /// and the lease is then rightly given up.
    /// </summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(30);

    /// <summary>Releasing runs after a checkpoint's budget may be spent, ahead of the app's SIGTERM: it gets this long, then the lease is left to expire.</summary>
    private static readonly TimeSpan ReleaseLimit = TimeSpan.FromSeconds(2);

    private readonly S3Client _renewals;
    private readonly S3Client _release;
    private readonly string _name;
    private readonly string _holder;
    private readonly TimeSpan _lifetime;
    private readonly ILogger _log;
    private readonly ManualResetEventSlim _released = new();
    private readonly Lock _gate = new();
    private readonly Thread _renewal;
    private string _etag;
    private long _writtenAt;
    private bool _lost;
    private int _disposed;

    private S3Lease(S3Client s3, string name, string holder, TimeSpan lifetime, string etag, long writtenAt, ILogger log)
    {
        // Their own clients: a checkpoint's Within scope on s3 must not cut the lease short.
        _renewals = s3.Detached();
        _release = s3.Detached();
        _name = name;
        _holder = holder;
        _lifetime = lifetime;
        _etag = etag;
        _writtenAt = writtenAt;
        _log = log;
        // Its own thread, not a timer: renewals must go on when the thread pool is busy.
        _renewal = BackgroundThread.Start(RenewUntilReleased, "crik lease");
    }

    /// <summary>
    /// The lease is no longer ours, or may not be: another crik replaced it, it vanished, or it went
    /// unrenewed for its lifetime (another crik may have taken it over). Whatever it guards must not be committed.
    /// </summary>
    /// <remarks>
    /// The holder counts it lost a fifth of its lifetime before another crik may take it over (which
    /// waits a whole lifetime by its own clock from when it first saw the version): that fifth covers
    /// clocks that run at different speeds, a request already in flight, and scheduling delays.
    /// </remarks>
    public bool Lost
    {
        get
        {
            lock (_gate)
            {
                return _lost || (!_released.IsSet && Stopwatch.GetElapsedTime(_writtenAt) >= SafeLifetime);
            }
        }
    }

    /// <summary>Three fifths of the lifetime have passed since the last renewal that was answered: two renewals failed or hang, and the lease may soon be lost.</summary>
    public bool Endangered
    {
        get
        {
            lock (_gate)
            {
                return !_lost && !_released.IsSet && Stopwatch.GetElapsedTime(_writtenAt) >= _lifetime * 3 / 5;
            }
        }
    }

    private TimeSpan SafeLifetime => _lifetime * 4 / 5;

    /// <summary>
    /// The holder name of an acquisition on a client that failed (the store could not be reached):
    /// its write may have landed unanswered, and the next try on that client must know the lease as
    /// its own, not wait a whole lifetime for a holder that does not exist.
    /// </summary>
    private static readonly ConditionalWeakTable<S3Client, string> Unfinished = [];

    /// <summary>
    /// The lease, or null when another holder kept it for all of <paramref name="timeout"/>. Throws
    /// (an <see cref="IOException"/>) when the store cannot be reached or keeps answering errors: that
    /// is never taken for another holder.
    /// </summary>
    public static S3Lease? TryAcquire(S3Client s3, string name, TimeSpan timeout, TimeSpan? lifetime = null, ILogger? log = null, Action? stillWaiting = null)
    {
        string holder = Unfinished.TryGetValue(s3, out string? earlier) ? earlier : $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        Unfinished.AddOrUpdate(s3, holder);
        S3Lease? lease = Acquire(s3, name, holder, timeout, lifetime ?? DefaultLifetime, log ?? Serilog.Core.Logger.None, stillWaiting);
        Unfinished.Remove(s3);
        return lease;
    }

    private static S3Lease? Acquire(S3Client s3, string name, string holder, TimeSpan timeout, TimeSpan leaseLifetime, ILogger log, Action? stillWaiting)
    {
        long? notice = null;
        long started = Stopwatch.GetTimestamp();
        string? seen = null;
        long seenSince = 0;
        while (true)
        {
            long writing = Stopwatch.GetTimestamp();
            if (s3.PutIfAbsent(name, Body(holder, leaseLifetime)) is { } created)
            {
                return new S3Lease(s3, name, holder, leaseLifetime, created, writing, log);
            }
            if (s3.TryGetWithETag(name) is { } current)
            {
                string? replaceable = null;
                if (HolderOf(current.Body) == holder)
                {
                    // A write of ours went through but its answer was lost: write it again, to know when it was written.
                    replaceable = current.ETag;
                }
                else if (current.ETag != seen)
                {
                    (seen, seenSince) = (current.ETag, Stopwatch.GetTimestamp());
                }
                else if (Stopwatch.GetElapsedTime(seenSince) >= leaseLifetime)
                {
                    replaceable = seen; // unrenewed for a whole lifetime as timed here: its holder is gone
                }
                writing = Stopwatch.GetTimestamp();
                // When this fails someone else was first, or our write's answer was lost: the next read says which.
                if (replaceable is not null && s3.PutIfMatch(name, Body(holder, leaseLifetime), replaceable) is { } taken)
                {
                    return new S3Lease(s3, name, holder, leaseLifetime, taken, writing, log);
                }
            }
            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                return null;
            }
            if (notice is not { } last || Stopwatch.GetElapsedTime(last) >= Interop.HandleLock.WaitingNotice)
            {
                stillWaiting?.Invoke();
                notice = Stopwatch.GetTimestamp();
            }
            Thread.Sleep(TimeSpan.FromMilliseconds(250));
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _released.Set();
        // A renewal stuck on a store that does not answer must not hold up crik; the thread ends after it.
        _renewal.Join(TimeSpan.FromSeconds(2));
        string etag;
        lock (_gate)
        {
            // Timed out counts too: a crik frozen past its lease may wake and end before its renewal thread notices.
            if (_lost || Stopwatch.GetElapsedTime(_writtenAt) >= SafeLifetime)
            {
                return; // someone else's now, or gone: not ours to delete
            }
            etag = _etag;
        }
        try
        {
            using IDisposable limit = _release.Within(ReleaseLimit);
            if (!_release.DeleteIfMatch(_name, etag) && _release.TryGetWithETag(_name) is { } current && HolderOf(current.Body) == _holder)
            {
                _release.DeleteIfMatch(_name, current.ETag); // a renewal still under way wrote it after the version we knew
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException or InvalidOperationException)
        {
            // It expires on its own.
        }
    }

    private void RenewUntilReleased()
    {
        TimeSpan every = _lifetime / 4;
        long attempted = Stopwatch.GetTimestamp();
        while (!_released.Wait(Max(TimeSpan.Zero, every - Stopwatch.GetElapsedTime(attempted))))
        {
            attempted = Stopwatch.GetTimestamp();
            try
            {
                if (!Renew())
                {
                    return;
                }
            }
            catch (Exception e)
            {
                // Whatever went wrong, it must not end crik (PID 1): the next renewal tries again, and
                // until the lease expires it still holds.
                _log.Warning("Could not renew the lease {Lease}: {Error}; trying again", _renewals.Display(_name), e.Message);
            }
        }
    }

    /// <summary>Writes the lease again over the version we wrote last; false once it is lost.</summary>
    private bool Renew()
    {
        string etag;
        long writtenAt;
        lock (_gate)
        {
            (etag, writtenAt) = (_etag, _writtenAt);
        }
        if (Stopwatch.GetElapsedTime(writtenAt) >= SafeLifetime)
        {
            GiveUp($"it was not renewed for {SafeLifetime.TotalSeconds:0.#} s of its {_lifetime.TotalSeconds:0.#} s, so another crik may take it over");
            return false;
        }
        using IDisposable limit = _renewals.Within(_lifetime / 5);
        long writing = Stopwatch.GetTimestamp();
        if (_renewals.PutIfMatch(_name, Body(_holder, _lifetime), etag) is { } renewed)
        {
            lock (_gate)
            {
                (_etag, _writtenAt) = (renewed, writing);
            }
            return true;
        }
        if (_renewals.TryGetWithETag(_name) is { } current && HolderOf(current.Body) == _holder)
        {
            // A renewal of ours went through unanswered; when it landed is unknown, so the lease still runs from the last one known.
            lock (_gate)
            {
                _etag = current.ETag;
            }
            return true;
        }
        GiveUp("another crik replaced or deleted it");
        return false;
    }

    private void GiveUp(string why)
    {
        lock (_gate)
        {
            _lost = true;
        }
        if (!_released.IsSet)
        {
            _log.Warning("Lost the lease {Lease}: {Why}; crik commits nothing under it", _renewals.Display(_name), why);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The holder and, for people reading the object, when the holder's clock says the lease ends (crik goes by its own clock).</summary>
    private static byte[] Body(string holder, TimeSpan lifetime) =>
        Encoding.UTF8.GetBytes($"{holder}\n{(DateTimeOffset.UtcNow + lifetime).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\n");

    private static string HolderOf(byte[] body) => Encoding.UTF8.GetString(body).Split('\n')[0];
}

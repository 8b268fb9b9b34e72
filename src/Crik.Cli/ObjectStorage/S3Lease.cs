using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Crik.Cli.Decisions;
using Crik.Cli.Guarding;
using Crik.Cli.Locking;
using Crik.Cli.Records;
using Crik.Cli.Timing;
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
/// <remarks>
/// A holder whose renewals go unanswered cannot tell whether its lease is still its own: it is in doubt,
/// not lost, since taking it over means writing to the same store. Past four fifths of the lifetime it
/// writes nothing under it (<see cref="HoldState.Fenced"/>), and it goes on renewing over the version it wrote last:
/// once that succeeds no other crik can have taken it over, and the lease is held again. Only an answer
/// that the lease is another's (or gone), or a doubt that lasts the doubt limit, forfeits it.
/// </remarks>
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

    /// <summary>How long a holder stays in doubt (the store does not answer its renewals) before it forfeits the lease: leaseDoubtLimit's default.</summary>
    public static readonly TimeSpan DefaultDoubtLimit = TimeSpan.FromMinutes(15);

    /// <summary>How often a renewal that keeps failing is said at Warning (the failures between go to Debug).</summary>
    private static readonly TimeSpan FailureNotice = TimeSpan.FromMinutes(1);

    /// <summary>Releasing runs after a checkpoint's budget may be spent, ahead of the app's SIGTERM: it gets this long, then the lease is left to expire.</summary>
    private static readonly TimeSpan ReleaseLimit = TimeSpan.FromSeconds(2);

    private readonly S3Client _s3;
    private readonly string _name;
    private readonly string _holder;
    private readonly ILogger _log;
    private readonly ManualResetEventSlim _released = new();
    private readonly LeaseVersion _version;
    private readonly Thread _renewal;
    private int _disposed;
    private int _lossSaid;

    private S3Lease(S3Client s3, string name, string holder, LeaseTerms terms, string etag, long writtenAt, ILogger log)
    {
        // The lease talks to the store itself, outside the store's wrappers (it must not be fenced by itself): each request
        // retried as s3 retries it (S3RetryPolicy.Default in a pod), and bounded by the lease alone (Renew, Dispose).
        _s3 = s3;
        _name = name;
        _holder = holder;
        _version = new LeaseVersion(etag, writtenAt, terms with { DoubtLimit = Max(terms.DoubtLimit, LeaseHold.SafeLifetime(terms.Lifetime)) });
        _log = log;
        // Its own thread, not a timer: renewals must go on when the thread pool is busy.
        _renewal = BackgroundThread.Start(RenewUntilReleased, "crik lease");
    }

    /// <summary>
    /// Held; endangered (two renewals failed: the app is frozen); fenced (unrenewed for four fifths of its lifetime, so
    /// another crik may take it over before a write lands: nothing is written); or lost (another crik replaced it, it
    /// vanished, or it was in doubt for the doubt limit). A renewal that succeeds while it is in doubt makes it held again.
    /// </summary>
    /// <remarks>
    /// The holder stops writing a fifth of its lifetime before another crik may take it over (which waits a whole lifetime
    /// by its own clock from when it first saw the version): that fifth covers clocks that run at different speeds, a
    /// request already in flight, and scheduling delays.
    /// </remarks>
    public HoldState State => Said(_version.State);

    public HoldState WaitForChange(HoldState seen, TimeSpan atMost, CancellationToken stop) => Said(_version.WaitForChange(seen, atMost, stop));

    public CancellationToken WritesEnd => _version.WritesEnd;

    private TimeSpan Lifetime => _version.Terms.Lifetime;

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
    /// <param name="doubtLimit">How long the lease may stay in doubt before it is forfeited (<see cref="DefaultDoubtLimit"/>); never less than four fifths of the lifetime.</param>
    public static S3Lease? TryAcquire(S3Client s3, string name, TimeSpan timeout, TimeSpan? lifetime = null, ILogger? log = null, Action? stillWaiting = null,
        TimeSpan? doubtLimit = null)
    {
        string holder = Unfinished.TryGetValue(s3, out string? earlier) ? earlier : $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        Unfinished.AddOrUpdate(s3, holder);
        var terms = new LeaseTerms(lifetime ?? DefaultLifetime, doubtLimit ?? DefaultDoubtLimit);
        S3Lease? lease = Acquire(s3, name, holder, timeout, terms, log ?? Serilog.Core.Logger.None, stillWaiting);
        Unfinished.Remove(s3);
        return lease;
    }

    private static S3Lease? Acquire(S3Client s3, string name, string holder, TimeSpan timeout, LeaseTerms terms, ILogger log, Action? stillWaiting)
    {
        TimeSpan leaseLifetime = terms.Lifetime;
        long? notice = null;
        long started = Stopwatch.GetTimestamp();
        string? seen = null;
        long seenSince = 0;
        while (true)
        {
            long writing = Stopwatch.GetTimestamp();
            if (s3.PutIfAbsent(name, Body(holder, leaseLifetime)) is { } created)
            {
                return new S3Lease(s3, name, holder, terms, Tagged(s3, name, created), writing, log);
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
                    return new S3Lease(s3, name, holder, terms, Tagged(s3, name, taken), writing, log);
                }
            }
            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                return null;
            }
            if (notice is not { } last || Stopwatch.GetElapsedTime(last) >= Locking.HandleLock.WaitingNotice)
            {
                stillWaiting?.Invoke();
                notice = Stopwatch.GetTimestamp();
            }
            Timing.WaitsBeforeTheApp.Sleep(TimeSpan.FromMilliseconds(250));
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _released.Set();
        _version.Release();
        // A renewal stuck on a store that does not answer must not hold up crik; the thread ends after it.
        _renewal.Join(TimeSpan.FromSeconds(2));
        try
        {
            Delete();
        }
        finally
        {
            _version.Dispose();
        }
    }

    /// <summary>Deletes the lease at its release when it is still ours; it expires on its own when that fails.</summary>
    private void Delete()
    {
        if (_version.Releasable is not { } etag)
        {
            return; // someone else's now, or gone: not ours to delete
        }
        try
        {
            using CallDeadline.Scope limit = CallDeadline.Within(ReleaseLimit);
            if (!_s3.DeleteIfMatch(_name, etag) && _s3.TryGetWithETag(_name) is { } current && HolderOf(current.Body) == _holder)
            {
                _s3.DeleteIfMatch(_name, current.ETag); // a renewal still under way wrote it after the version we knew
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException or InvalidOperationException)
        {
            // It expires on its own.
        }
    }

    private void RenewUntilReleased()
    {
        TimeSpan every = Lifetime / 4;
        long attempted = Stopwatch.GetTimestamp();
        long? noticed = null;
        while (!_released.Wait(Max(TimeSpan.Zero, every - Stopwatch.GetElapsedTime(attempted))))
        {
            attempted = Stopwatch.GetTimestamp();
            try
            {
                if (!Renew())
                {
                    return;
                }
                noticed = null;
            }
            catch (Exception e)
            {
                // Whatever went wrong, it must not end crik (PID 1): the next renewal tries again, and
                // the lease stays in doubt, not lost, until one is answered or the doubt limit passes.
                bool notice = noticed is not { } last || Stopwatch.GetElapsedTime(last) >= FailureNotice;
                _log.Write(notice ? Serilog.Events.LogEventLevel.Warning : Serilog.Events.LogEventLevel.Debug,
                    "Could not renew the lease {Lease}: {Error}; trying again every {Every:0.#} s", _s3.Display(_name), e.Message, every.TotalSeconds);
                noticed = notice ? Stopwatch.GetTimestamp() : noticed;
            }
        }
    }

    /// <summary>
    /// Writes the lease again over the version we wrote last; false once it is lost. Past the time another
    /// crik may have taken it over, it is read first: a lease another crik holds gets no write from us, not
    /// even one its ETag would refuse (a store without conditional writes would take it).
    /// </summary>
    private bool Renew()
    {
        (string etag, long writtenAt) = _version.Last;
        TimeSpan unrenewed = Stopwatch.GetElapsedTime(writtenAt);
        HoldState state = _version.State;
        if (state is HoldState.Lost)
        {
            GiveUp(Unanswered());
            return false;
        }
        using CallDeadline.Scope limit = CallDeadline.Within(Lifetime / 5);
        if (state is HoldState.Fenced)
        {
            if (OursNow() is not { } current)
            {
                return false;
            }
            etag = current; // a renewal of ours that landed unanswered is the version to renew over
        }
        long writing = Stopwatch.GetTimestamp();
        if (_s3.PutIfMatch(_name, Body(_holder, Lifetime), etag) is { } renewed)
        {
            _version.Renewed(Tagged(_s3, _name, renewed), writing);
            if (state is not HoldState.Held)
            {
                _log.Debug("Renewed the lease {Lease} over the version crik wrote last, after {Seconds:0.#} s in doubt: no other crik took it over",
                    _s3.Display(_name), unrenewed.TotalSeconds);
            }
            return true;
        }
        if (OursNow() is { } landed)
        {
            _version.Landed(landed);
            return true;
        }
        return false;
    }

    /// <summary>
    /// The ETag a write of the lease was answered with; throws when there is none: every later write of it is made on the
    /// condition of that ETag, and one sent without it would replace another crik's lease unseen.
    /// </summary>
    private static string Tagged(S3Client s3, string name, string etag) =>
        etag.Length > 0 ? etag
            : throw new S3Exception($"the store answered the write of the lease {s3.Display(name)} without an ETag, so crik cannot make the lease's "
                + "next writes conditional on it and cannot hold a lease there; use a store (or a proxy before it) that returns ETags "
                + "(crik check says whether it does)");

    /// <summary>The ETag of the lease as the store holds it when it is still ours; null (and the lease given up) when another crik holds it or it is gone.</summary>
    private string? OursNow()
    {
        if (_s3.TryGetWithETag(_name) is { } current && HolderOf(current.Body) == _holder)
        {
            return current.ETag;
        }
        GiveUp("the store answers that another crik replaced or deleted it");
        return null;
    }

    private void GiveUp(string why)
    {
        SayLost(why); // first: whoever sees the lease lost next says no other reason
        _version.Lose();
    }

    /// <summary>A lease lost by the rule alone (in doubt for the doubt limit) is said as soon as anyone sees it, however it is seen.</summary>
    private HoldState Said(HoldState state)
    {
        if (state is HoldState.Lost)
        {
            SayLost(Unanswered());
        }
        return state;
    }

    private string Unanswered() =>
        $"the store did not answer its renewals for {Stopwatch.GetElapsedTime(_version.Last.WrittenAt).TotalSeconds:0} s (leaseDoubtLimit {_version.Terms.DoubtLimit.TotalSeconds:0} s)";

    private void SayLost(string why)
    {
        if (Interlocked.Exchange(ref _lossSaid, 1) == 0 && !_released.IsSet)
        {
            _log.Warning("Lost the lease {Lease}: {Why}; crik commits nothing under it", _s3.Display(_name), why);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The holder and, for people reading the object, when the holder's clock says the lease ends (crik goes by its own clock).</summary>
    private static byte[] Body(string holder, TimeSpan lifetime) =>
        Encoding.UTF8.GetBytes($"{holder}\n{(DateTimeOffset.UtcNow + lifetime).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\n");

    private static string HolderOf(byte[] body) => Encoding.UTF8.GetString(body).Split('\n')[0];
}

/// <summary>How long a lease lives unrenewed, and how long its holder may stay in doubt (its renewals unanswered) before it forfeits it.</summary>
internal readonly record struct LeaseTerms(TimeSpan Lifetime, TimeSpan DoubtLimit);

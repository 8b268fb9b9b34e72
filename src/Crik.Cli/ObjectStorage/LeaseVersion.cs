using System.Diagnostics;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// What a lease's holder knows of its lease object: the version it wrote last, when it wrote it (by its own clock),
/// and whether the lease is lost, under one lock; and from its lifetime, when it is in danger, in doubt or timed out.
/// </summary>
internal sealed class LeaseVersion(string etag, long writtenAt, TimeSpan lifetime)
{
    private readonly Lock _gate = new();
    private string _etag = etag;
    private long _writtenAt = writtenAt;
    private bool _lost;

    public TimeSpan Lifetime => lifetime;

    /// <summary>Four fifths of the lifetime: unrenewed this long, the lease may be another's by the time a write lands.</summary>
    public TimeSpan SafeLifetime => lifetime * 4 / 5;

    /// <summary>See <see cref="S3Lease.Lost"/>; a released lease is never timed out.</summary>
    public bool Lost(bool released)
    {
        lock (_gate)
        {
            return _lost || (!released && Stopwatch.GetElapsedTime(_writtenAt) >= SafeLifetime);
        }
    }

    /// <summary>See <see cref="S3Lease.Forfeited"/>.</summary>
    public bool Forfeited
    {
        get
        {
            lock (_gate)
            {
                return _lost;
            }
        }
    }

    /// <summary>See <see cref="S3Lease.Endangered"/>.</summary>
    public bool Endangered(bool released)
    {
        lock (_gate)
        {
            return !_lost && !released && Stopwatch.GetElapsedTime(_writtenAt) >= lifetime * 3 / 5;
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

    /// <summary>The version to delete on release; null when the lease is lost or timed out (someone else's now, or gone: not ours to delete).</summary>
    public string? Releasable
    {
        get
        {
            lock (_gate)
            {
                // Timed out counts too: a crik frozen past its lease may wake and end before its renewal thread notices.
                return _lost || Stopwatch.GetElapsedTime(_writtenAt) >= SafeLifetime ? null : _etag;
            }
        }
    }

    /// <summary>A renewal was answered: the lease runs from <paramref name="writing"/>, when its write started.</summary>
    public void Renewed(string etag, long writing)
    {
        lock (_gate)
        {
            (_etag, _writtenAt) = (etag, writing);
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

    public void Lose()
    {
        lock (_gate)
        {
            _lost = true;
        }
    }
}

using System.Globalization;
using System.Text;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// The lock a volume gets from flock, for pods on different nodes sharing a prefix: a lease object
/// written only if absent (S3 conditional writes), naming its holder and when it expires, and
/// renewed while held. A holder that dies (a node lost mid-dump) stops renewing, and its lease
/// expires after <see cref="Lifetime"/>, so a lease never outlives its pod for long. On stores
/// without conditional writes the lease is written regardless: it then keeps nobody out.
/// </summary>
internal sealed class S3Lease : IDisposable
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(15);

    private readonly S3Client _s3;
    private readonly string _name;
    private readonly string _holder;
    private readonly TimeSpan _lifetime;
    private readonly ManualResetEventSlim _released = new();
    private readonly Thread _renewal;

    private S3Lease(S3Client s3, string name, string holder, TimeSpan lifetime)
    {
        _s3 = s3;
        _name = name;
        _holder = holder;
        _lifetime = lifetime;
        // Its own thread, not a timer: renewals must go on when the thread pool is busy.
        _renewal = new Thread(RenewUntilReleased) { IsBackground = true, Name = "crik lease" };
        _renewal.Start();
    }

    /// <summary>The lease, or null when another holder kept it for all of <paramref name="timeout"/>.</summary>
    public static S3Lease? TryAcquire(S3Client s3, string name, TimeSpan timeout, TimeSpan? lifetime = null)
    {
        TimeSpan leaseLifetime = lifetime ?? DefaultLifetime;
        string holder = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        DateTimeOffset deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            if (s3.PutIfAbsent(name, Body(holder, DateTimeOffset.UtcNow + leaseLifetime)))
            {
                return new S3Lease(s3, name, holder, leaseLifetime);
            }
            (string? current, DateTimeOffset expires) = Read(s3, name);
            if (current == holder)
            {
                return new S3Lease(s3, name, holder, leaseLifetime); // our first write went through; its answer was lost
            }
            if (current is null || expires < DateTimeOffset.UtcNow)
            {
                s3.Delete(name); // expired (its holder is gone), vanished or unreadable
                continue;
            }
            if (DateTimeOffset.UtcNow >= deadline)
            {
                return null;
            }
            Thread.Sleep(TimeSpan.FromMilliseconds(250));
        }
    }

    public void Dispose()
    {
        if (_released.IsSet)
        {
            return;
        }
        _released.Set();
        // A renewal stuck on a store that does not answer must not hold up crik; the thread ends after it.
        _renewal.Join(TimeSpan.FromSeconds(2));
        try
        {
            if (Read(_s3, _name).Holder == _holder)
            {
                _s3.Delete(_name);
            }
        }
        catch (IOException)
        {
            // It expires on its own.
        }
    }

    private void RenewUntilReleased()
    {
        while (!_released.Wait(_lifetime / 3))
        {
            try
            {
                if (Read(_s3, _name).Holder == _holder && !_released.IsSet)
                {
                    _s3.Put(_name, Body(_holder, DateTimeOffset.UtcNow + _lifetime));
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException or InvalidOperationException)
            {
                // The next renewal tries again; until the lease expires it still holds.
            }
        }
    }

    private static byte[] Body(string holder, DateTimeOffset expires) =>
        Encoding.UTF8.GetBytes($"{holder}\n{expires.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\n");

    private static (string? Holder, DateTimeOffset Expires) Read(S3Client s3, string name)
    {
        string[] lines = s3.TryGet(name) is { } body ? Encoding.UTF8.GetString(body).Split('\n') : [];
        return lines.Length >= 2 && long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out long expires)
            ? (lines[0], DateTimeOffset.FromUnixTimeMilliseconds(expires))
            : (null, DateTimeOffset.MinValue);
    }
}

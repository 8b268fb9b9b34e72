using System.Diagnostics;

namespace Crik.Cli.Chunks;

/// <summary>
/// A <see cref="ChunkReader"/>'s attempts at one read: with an <see cref="IStorePatience"/>, a read that fails in a
/// way the store may take back (<see cref="ReadFailures.Classify"/>) is tried again, after a pause that doubles,
/// for as long as the patience lasts; any other failure, or any failure without one, fails the read at once.
/// </summary>
internal sealed class PatientReads(IStorePatience? patience)
{
    /// <summary>The first pause before a failed read is tried again; it doubles up to <see cref="LongestPause"/>.</summary>
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(200), LongestPause = TimeSpan.FromSeconds(5);

    private readonly object _lock = new();
    private bool _stopped;

    /// <summary>The chunk, read and checked; tried again while the store's failures are ones it may take back and the patience lasts.</summary>
    public byte[] Read(ChunkRead read)
    {
        for (int attempt = 1; ; attempt++)
        {
            long sent = Stopwatch.GetTimestamp();
            Interlocked.Exchange(ref read.AttemptStarted, sent);
            byte[] bytes;
            try
            {
                bytes = read.ReadOnce();
            }
            catch (Exception e) when (patience is not null && ReadFailures.Classify(e) == ReadFailure.Transient)
            {
                if (!patience.Failed(e.Message))
                {
                    throw new PackUnavailableException(patience.GiveUp(), e);
                }
                PauseBeforeTrying(attempt + 1);
                continue;
            }
            finally
            {
                Interlocked.Exchange(ref read.AttemptStarted, 0);
            }
            if (patience?.Answered(sent) == true)
            {
                StoreAnswered();
            }
            return bytes;
        }
    }

    /// <summary>The reads stop: reads pausing before another attempt give up (<see cref="ObjectDisposedException"/>).</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>
    /// Waits before attempt <paramref name="attempt"/> (jittered, doubling); the end of the outage (a read that
    /// succeeded) or of the reads cuts it short, and nothing else does.
    /// </summary>
    private void PauseBeforeTrying(int attempt)
    {
        double pause = Math.Min(LongestPause.TotalMilliseconds, FirstPause.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 2, 10)));
        long until = Environment.TickCount64 + (long)(pause * (0.5 + (Random.Shared.NextDouble() / 2)));
        lock (_lock)
        {
            for (long left; !_stopped && patience!.Lasted is not null && (left = until - Environment.TickCount64) > 0;)
            {
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(left));
            }
            ObjectDisposedException.ThrowIf(_stopped, this);
        }
    }

    /// <summary>The store answered a read: reads waiting to try again go at once.</summary>
    private void StoreAnswered()
    {
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
        }
    }
}

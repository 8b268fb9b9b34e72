using System.Diagnostics;

namespace Crik.Cli.Chunks;

/// <summary>
/// What filling the page cache with a pack's chunks costs on this node, timed over each few MiB of whole pages written
/// through it; <see cref="PackFileTarget"/> writes the rest of the pack past the cache (<see cref="DirectPackWrites"/>)
/// from the first stretch that proves slow. A new cache page is cheap where the kernel has free memory the host backs
/// (under 1 µs a page here, for memory freed shortly before), and dear on a VM that hands its free memory back to the
/// host (4-25 µs a page here, the host backing each page again on its first write); the same pack can meet both, so
/// every stretch is timed until one is slow. Past the cache is no better by default: a virtual disk flushed 512 MiB
/// written past the cache in 0.95-1.2 s, against 0.45 s through it, where the kernel writes back in large requests
/// while the dump goes on.
/// </summary>
internal sealed class CacheFillCost
{
    /// <summary>Above this, filling the cache costs more than a direct write's flush (about 4 µs a page more, measured).</summary>
    public const double SlowMicrosecondsPerPage = 5.0;

    /// <summary>Writes timed together: the median of so many is a write that did not wait for another's lock.</summary>
    private const int Stretch = 16;

    private readonly Lock _lock = new();
    private readonly double _slowTicksPerPage;
    private readonly double[] _ticksPerPage = new double[Stretch];
    private int _timed;
    private volatile bool _slow;

    private CacheFillCost(double slowMicrosecondsPerPage, bool slow)
    {
        _slowTicksPerPage = slowMicrosecondsPerPage * Stopwatch.Frequency / 1_000_000;
        _slow = slow;
    }

    /// <summary>A cost still to be measured, slow above <paramref name="slowMicrosecondsPerPage"/>.</summary>
    public static CacheFillCost ToMeasure(double slowMicrosecondsPerPage = SlowMicrosecondsPerPage) => new(slowMicrosecondsPerPage, slow: false);

    /// <summary>A cost known to be slow: every chunk of whole pages is written past the cache.</summary>
    public static CacheFillCost KnownSlow() => new(SlowMicrosecondsPerPage, slow: true);

    /// <summary>Whether a stretch of writes cost more than the threshold a page to cache; once slow, it stays so.</summary>
    public bool Slow => _slow;

    /// <summary>Counts a write of <paramref name="bytes"/> of whole pages through the cache that took <paramref name="elapsedTicks"/> (<see cref="Stopwatch"/> ticks).</summary>
    public void Took(int bytes, long elapsedTicks)
    {
        lock (_lock)
        {
            if (_slow)
            {
                return;
            }
            _ticksPerPage[_timed++] = elapsedTicks / (bytes / (double)Criu.ImagePage.Bytes);
            if (_timed < Stretch)
            {
                return;
            }
            _timed = 0;
            Array.Sort(_ticksPerPage);
            _slow |= _ticksPerPage[Stretch / 2] > _slowTicksPerPage;
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Crik.Cli.Logging;

namespace Crik.Cli.Timing;

/// <summary>
/// Where one image stream's time went: waiting for CRIU (it had not written, or read, the next bytes
/// yet) or for crik itself (chunks still being hashed and stored, or read and checked). The larger
/// of the two says which side held the other up. Safe to add to from several threads.
/// </summary>
internal sealed class StreamTimes(string image)
{
    private long _waitingForCriu;
    private long _waitingForCrik;
    private long _bytes;

    public TimeSpan WaitingForCriu => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _waitingForCriu));

    public TimeSpan WaitingForCrik => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _waitingForCrik));

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The stream that moved the most bytes (the pages image, which is what takes time), or null when there was none.</summary>
    public static StreamTimes? Largest(IEnumerable<StreamTimes> streams) => streams.MaxBy(s => s.Bytes);

    /// <summary>A timestamp to pass to <see cref="CriuSince"/> or <see cref="CrikSince"/>.</summary>
    public static long Now() => Stopwatch.GetTimestamp();

    public void CriuSince(long started) => Interlocked.Add(ref _waitingForCriu, Stopwatch.GetTimestamp() - started);

    public void CrikSince(long started) => Interlocked.Add(ref _waitingForCrik, Stopwatch.GetTimestamp() - started);

    public void Moved(long bytes) => Interlocked.Add(ref _bytes, bytes);

    /// <summary>"pages-1.img 515.8 MiB: waited 410 ms for CRIU, 35 ms for crik".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{image} {Size.Format(Bytes)}: waited {StageClock.Milliseconds(WaitingForCriu)} for CRIU, {StageClock.Milliseconds(WaitingForCrik)} for crik");
}

using System.Diagnostics;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// How far the fill has got, for its log lines and the next checkpoint: the time since the restore began, how often the app
/// waited for a page and which pages (<see cref="TouchLog"/>), the processes let go of with all their memory in or gone
/// before, and the bytes copied into the app and the time that took (counted by the <see cref="Copier"/>). Safe from every
/// thread of the fill.
/// </summary>
internal sealed class FillProgress
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TouchLog _touched = new();
    private int _faults;

    /// <summary>Processes let go of with all their memory in, and those gone (exited or killed) before it was.</summary>
    private int _allIn, _goneEarly;

    /// <summary>What copies every page into the app, and counts the bytes and the time.</summary>
    public PageCopier Copier { get; } = new();

    public TimeSpan Elapsed => _clock.Elapsed;

    public long CopiedBytes => Copier.CopiedBytes;

    public TimeSpan CopyingTime => Copier.CopyingTime;

    /// <summary>How many times a process of the app waited for a page.</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <summary>Every process of the app ended before its memory was all in (none was let go of with all of it in).</summary>
    public bool AppEndedFirst => Volatile.Read(ref _goneEarly) > 0 && Volatile.Read(ref _allIn) == 0;

    /// <summary>The pages the app waited for, in the order it did (at most <see cref="TouchLog.Limit"/>).</summary>
    public IReadOnlyList<TouchedRange> Touched() => _touched.Ranges();

    /// <summary>A process of the app waits for a page.</summary>
    public void Faulted() => Interlocked.Increment(ref _faults);

    /// <summary>Process <paramref name="pid"/> waited for the page dumped at <paramref name="address"/> (not one it reads as zeros).</summary>
    public void Touched(int pid, ulong address) => _touched.Record(pid, address);

    /// <summary>A process was let go of: with all its memory in, or <paramref name="goneEarly"/>, before it was.</summary>
    public void LetGo(bool goneEarly) => Interlocked.Increment(ref goneEarly ? ref _goneEarly : ref _allIn);

    /// <summary>The fill is over: <see cref="Elapsed"/> stays what it is now.</summary>
    public void Stop() => _clock.Stop();
}

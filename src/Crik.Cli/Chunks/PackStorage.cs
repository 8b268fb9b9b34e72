using System.Diagnostics;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Chunks;

/// <summary>Where a pack's bytes go as its chunks are written: a file on the volume, or an upload to object storage.</summary>
internal interface IPackTarget : IDisposable
{
    /// <summary>Writes bytes at an offset only this caller writes to; writers may call from several threads, in any order.</summary>
    void Write(ReadOnlySpan<byte> data, long offset);

    /// <summary>Whether <paramref name="data"/> is best written at an offset that is a multiple of a page (<see cref="DirectPackWrites"/>).</summary>
    bool WantsPageAligned(ReadOnlySpan<byte> data);
}

/// <summary>A stored pack that chunks are read back from.</summary>
internal interface IPackSource : IDisposable
{
    /// <summary>The pack's length; null when it is missing.</summary>
    long? Length { get; }

    /// <summary>Reads up to <paramref name="into"/>'s length at <paramref name="offset"/>; 0 at the end.</summary>
    int Read(Span<byte> into, long offset);
}

/// <summary>
/// A pack file on the volume. Chunks of whole pages go at page-aligned offsets wherever they could be written past the
/// page cache, and are, once filling the cache has proved slow on this node (<see cref="CacheFillCost"/>).
/// </summary>
internal sealed class PackFileTarget(SafeFileHandle file, CacheFillCost? fill = null) : IPackTarget
{
    private readonly EarlyWriteback _writeback = new(file);
    private readonly DirectPackWrites? _direct = DirectPackWrites.Open(file);
    private readonly CacheFillCost _fill = fill ?? CacheFillCost.ToMeasure();

    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        long direct = _direct is { } past && _fill.Slow ? past.Write(data, offset) : 0;
        if (direct < data.Length)
        {
            long start = Stopwatch.GetTimestamp();
            RandomAccess.Write(file, data[(int)direct..], offset + direct);
            if (direct == 0 && _direct?.Takes(data) == true)
            {
                _fill.Took(data.Length, Stopwatch.GetTimestamp() - start);
            }
        }
        _writeback.Wrote(data.Length);
    }

    public bool WantsPageAligned(ReadOnlySpan<byte> data) => _direct?.Takes(data) == true;

    /// <summary>Ends the writebacks ahead of the commit's flush; throws IOException when the disk failed one (some of the pack's bytes are lost).</summary>
    public void EndWritebacks()
    {
        if (_writeback.StopAndTakeFailure() is { } errno)
        {
            throw Posix.Failure("the disk's write of the pack (fdatasync)", errno);
        }
    }

    public void Dispose()
    {
        _writeback.Dispose();
        _direct?.Dispose();
        file.Dispose();
    }
}

internal sealed class PackFileSource(SafeFileHandle file) : IPackSource
{
    public long? Length => RandomAccess.GetLength(file);

    public int Read(Span<byte> into, long offset) => RandomAccess.Read(file, into, offset);

    public void Dispose() => file.Dispose();
}

using Crik.Cli.Records;
using Crik.Cli.Streaming;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.WriteTracking;

/// <summary>
/// The pages a running process wrote (<see cref="ProcessWrites.TakeWrittenWhileRunning"/>), read from its /proc/PID/mem one
/// range after another, as one stream for the chunker. A page that cannot be read (its area unmapped meanwhile) is left out
/// and its protection lifted, so that the dump reads it, should it be there again; <see cref="Copied"/> lists what the
/// stream holds, in its order. Once <c>enough</c> says so (the copy took its share of the checkpoint's budget, or a SIGTERM came), the
/// stream ends and every page not read yet has its protection lifted: the dump reads those.
/// </summary>
internal sealed class WrittenPagesStream : ReadOnlyStream
{
    private static readonly int PageBytes = Environment.SystemPageSize;

    private readonly ProcessWrites _writes;
    private readonly IReadOnlyList<AddressRange> _ranges;
    private readonly SafeFileHandle _memory;
    private readonly IEnoughRead? _enough;
    private int _range;
    private ulong _at;

    public WrittenPagesStream(ProcessWrites writes, IReadOnlyList<AddressRange> ranges, IEnoughRead? enough = null)
    {
        _writes = writes;
        _ranges = ranges;
        _enough = enough;
        _memory = File.OpenHandle($"/proc/{writes.Pid}/mem");
        _at = ranges.Count > 0 ? ranges[0].Start : 0;
    }

    /// <summary>The ranges read so far, merged, in the order their bytes came.</summary>
    public List<AddressRange> Copied { get; } = [];

    /// <summary>The pages left out, their protection lifted: unreadable, or not read in time.</summary>
    public long Skipped { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        if (_enough?.Enough == true)
        {
            LeaveTheRest();
            return 0;
        }
        int filled = 0;
        while (filled < buffer.Length && _range < _ranges.Count)
        {
            ulong end = _ranges[_range].End;
            if (_at >= end)
            {
                NextRange();
                continue;
            }
            int room = buffer.Length - filled - ((buffer.Length - filled) % PageBytes);
            if (room == 0)
            {
                return filled > 0 ? filled : throw new ArgumentException($"reads whole pages: a buffer of {buffer.Length} bytes is too small", nameof(buffer));
            }
            int want = (int)Math.Min((ulong)room, end - _at);
            int read = ReadAt(buffer.Slice(filled, want));
            if (read == 0)
            {
                Leave(new AddressRange(_at, _at + (ulong)PageBytes));
                _at += (ulong)PageBytes;
                continue;
            }
            Add(new AddressRange(_at, _at + (ulong)read));
            _at += (ulong)read;
            filled += read;
        }
        return filled;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _memory.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Whole pages read at <see cref="_at"/> (a short read ends at the first page that could not be read); 0 when the first could not.</summary>
    private int ReadAt(Span<byte> into)
    {
        try
        {
            int read = RandomAccess.Read(_memory, into, (long)_at);
            return read - (read % PageBytes);
        }
        catch (IOException)
        {
            return 0; // EIO: nothing mapped there now
        }
    }

    /// <summary>Lifts the protection of every page not read yet.</summary>
    private void LeaveTheRest()
    {
        for (; _range < _ranges.Count; NextRange())
        {
            if (_at < _ranges[_range].End)
            {
                Leave(new AddressRange(_at, _ranges[_range].End));
                _at = _ranges[_range].End;
            }
        }
    }

    /// <summary>Lifts the protection of pages not copied: the dump reads them. Throws when it cannot: then the process is let go of, and the dump reads all of it.</summary>
    private void Leave(AddressRange pages)
    {
        _writes.Unprotect(pages);
        Skipped += (long)(pages.Bytes / (ulong)PageBytes);
    }

    private void NextRange()
    {
        _range++;
        if (_range < _ranges.Count)
        {
            _at = _ranges[_range].Start;
        }
    }

    private void Add(AddressRange range)
    {
        if (Copied.Count > 0 && Copied[^1].End == range.Start)
        {
            Copied[^1] = Copied[^1] with { End = range.End };
            return;
        }
        Copied.Add(range);
    }
}

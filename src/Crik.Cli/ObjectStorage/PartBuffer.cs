using System.Buffers;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// A pack's bytes put in order into parts: the chunks that arrived ahead of their turn, the part being filled, and
/// the numbers and offsets reached. Not safe on its own: its upload's lock guards every call (ImageStore/Backends/PackParts).
/// </summary>
internal sealed class PartBuffer(int partBytes)
{
    private readonly SortedDictionary<long, byte[]> _waiting = [];
    private byte[] _part = [];
    private int _partLength;
    private int _nextPartNumber = 1;
    private long _nextOffset;
    private long _buffered;

    public int PartBytes => partBytes;

    /// <summary>The most bytes held at once (chunks waiting for their turn plus the part being filled).</summary>
    public long PeakBufferedBytes { get; private set; }

    /// <summary>The pack's length so far: the offset the next chunk in turn starts at.</summary>
    public long NextOffset => _nextOffset;

    /// <summary>How many parts were taken full or last.</summary>
    public int PartCount => _nextPartNumber - 1;

    /// <summary>A chunk arrived ahead of its turn.</summary>
    public bool HasWaiting => _waiting.Count > 0;

    /// <summary>A chunk at <paramref name="offset"/> must wait for those before it: holding it would pass <paramref name="maxWaitingBytes"/>.</summary>
    public bool MustWait(long offset, int length, long maxWaitingBytes) =>
        offset != _nextOffset && _buffered > 0 && _buffered + length > maxWaitingBytes;

    /// <summary>Puts a chunk in its place: into the part when it is its turn (with the waiting chunks that follow it), else among the waiting ones.</summary>
    public void Place(ReadOnlySpan<byte> data, long offset, List<(int Number, byte[] Bytes, int Length)> full)
    {
        if (offset == _nextOffset)
        {
            Append(data, full);
        }
        else
        {
            _waiting[offset] = data.ToArray();
            _buffered += data.Length;
        }
        while (_waiting.Count > 0 && _waiting.First() is var next && next.Key == _nextOffset)
        {
            _waiting.Remove(next.Key);
            _buffered -= next.Value.Length;
            Append(next.Value, full);
        }
        PeakBufferedBytes = Math.Max(PeakBufferedBytes, _buffered + _partLength);
    }

    /// <summary>The part being filled, as the last one; null when it is empty and not the only one.</summary>
    public (int Number, byte[] Bytes, int Length)? TakeLast()
    {
        if (_partLength == 0 && _nextPartNumber != 1)
        {
            return null;
        }
        (int, byte[], int) last = (_nextPartNumber++, _part, _partLength);
        _part = [];
        _partLength = 0;
        return last;
    }

    /// <summary>Drops the chunks waiting for their turn.</summary>
    public void DropWaiting()
    {
        _waiting.Clear();
        _buffered = 0;
    }

    /// <summary>Gives the part being filled back to the pool.</summary>
    public void DropPart()
    {
        if (_part.Length > 0)
        {
            Return(_part);
            _part = [];
        }
    }

    public static void Return(byte[] bytes)
    {
        if (bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private void Append(ReadOnlySpan<byte> data, List<(int, byte[], int)> full)
    {
        _nextOffset += data.Length;
        while (data.Length > 0)
        {
            if (_part.Length == 0)
            {
                _part = ArrayPool<byte>.Shared.Rent(partBytes);
            }
            int take = Math.Min(data.Length, partBytes - _partLength);
            data[..take].CopyTo(_part.AsSpan(_partLength));
            _partLength += take;
            data = data[take..];
            if (_partLength == partBytes)
            {
                full.Add((_nextPartNumber++, _part, _partLength));
                _part = [];
                _partLength = 0;
            }
        }
    }
}

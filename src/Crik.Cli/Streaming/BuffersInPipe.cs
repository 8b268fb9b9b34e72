namespace Crik.Cli.Streaming;

/// <summary>
/// The chunk buffers of one image whose pages its pipe still holds (handed over by reference, not
/// copied), in the order they went in. Each may be reused once the reader has read past its end;
/// until then it must stay as it is, or the reader would get what was written into it since.
/// </summary>
internal sealed class BuffersInPipe
{
    private readonly Queue<(byte[] Buffer, long End)> _buffers = new();

    /// <summary>Bytes handed to the pipe so far.</summary>
    public long HandedOver { get; private set; }

    public bool IsEmpty => _buffers.Count == 0;

    /// <summary>A write handed over <paramref name="bytes"/> more.</summary>
    public void Handed(long bytes) => HandedOver += bytes;

    /// <summary>A buffer whose last byte went in at <paramref name="end"/> (counted as <see cref="HandedOver"/> is).</summary>
    public void Add(byte[] buffer, long end) => _buffers.Enqueue((buffer, end));

    /// <summary>Gives back every buffer the reader has read whole, the pipe still holding <paramref name="unread"/> bytes.</summary>
    public void Release(long unread, Action<byte[]> giveBack)
    {
        long read = HandedOver - unread;
        while (_buffers.TryPeek(out var oldest) && oldest.End <= read)
        {
            giveBack(_buffers.Dequeue().Buffer);
        }
    }

    /// <summary>The buffers the pipe may still hold, taken out of this list: they must not be reused while the reader lives.</summary>
    public List<byte[]> TakeAll()
    {
        var all = _buffers.Select(b => b.Buffer).ToList();
        _buffers.Clear();
        return all;
    }
}

namespace Crik.Cli.Streaming;

/// <summary>
/// The chunk buffers of one image written whole into its pipe, in the order they went in, until they
/// may be reused. A buffer copied into the pipe may be reused at once; one handed over by reference
/// (its pages, not a copy) only once the reader has read past its end, or the reader would get what
/// was written into it since.
/// </summary>
internal sealed class BuffersInPipe
{
    private readonly Queue<(byte[] Buffer, long End)> _buffers = new();

    /// <summary>Bytes written into the pipe so far.</summary>
    public long HandedOver { get; private set; }

    public bool IsEmpty => _buffers.Count == 0;

    /// <summary>
    /// A write took the first <paramref name="written"/> bytes of <paramref name="unwritten"/>: each
    /// buffer it took whole moves from there to here, and the one it took part of is cut to the rest.
    /// </summary>
    public void Wrote(List<ArraySegment<byte>> unwritten, long written)
    {
        long end = HandedOver;
        HandedOver += written;
        int whole = 0;
        for (; whole < unwritten.Count && written >= unwritten[whole].Count; whole++)
        {
            written -= unwritten[whole].Count;
            end += unwritten[whole].Count;
            _buffers.Enqueue((unwritten[whole].Array!, end));
        }
        unwritten.RemoveRange(0, whole);
        if (unwritten.Count > 0)
        {
            unwritten[0] = unwritten[0][(int)written..];
        }
    }

    /// <summary>
    /// Gives back every buffer the reader has read whole, the pipe still holding <paramref name="unread"/>
    /// bytes (0 for buffers that were copied into it).
    /// </summary>
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

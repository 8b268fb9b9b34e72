namespace Crik.NodeStateServer.Kubernetes;

/// <summary>
/// Splits a watch stream into lines without ever holding more than <see cref="MaxLineBytes"/> of one line:
/// a stream that never sends a newline is cut off instead of growing the buffer until memory runs out.
/// A returned line is valid until the next call.
/// </summary>
internal sealed class WatchLineReader(Stream stream)
{
    /// <summary>A Node object is tens of KiB; a line a hundred times that size is not a Node event.</summary>
    public const int MaxLineBytes = 4 * 1024 * 1024;

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The next line without its newline; null when the stream ended cleanly between lines.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var newline = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, scanned + newline);
                _start += scanned + newline + 1;
                return line;
            }
            scanned = _end - _start;
            if (scanned > MaxLineBytes)
                throw new WatchAbandonedException($"a watch line grew past {MaxLineBytes / (1024 * 1024)} MiB without ending; no Node event is that large");
            MakeRoom();
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                return _end == _start ? null : throw new IOException("the watch stream ended in the middle of an event");
            _end += read;
        }
    }

    private void MakeRoom()
    {
        if (_end < _buffer.Length)
            return;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
            return;
        }
        // One byte past the cap, so a line of exactly MaxLineBytes still finds its newline.
        Array.Resize(ref _buffer, (int)Math.Min(_buffer.Length * 2L, MaxLineBytes + 1L));
    }
}

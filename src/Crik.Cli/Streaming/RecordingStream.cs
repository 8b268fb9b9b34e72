namespace Crik.Cli.Streaming;

/// <summary>Reads through to another stream and keeps a copy of every byte read (for a small image crik reads itself afterwards).</summary>
internal sealed class RecordingStream(Stream source) : Stream
{
    private readonly MemoryStream _copy = new();

    /// <summary>Every byte read so far.</summary>
    public byte[] Recorded => _copy.ToArray();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = source.Read(buffer);
        _copy.Write(buffer[..read]);
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _copy.Dispose();
            source.Dispose();
        }
        base.Dispose(disposing);
    }
}

using Crik.Cli.Timing;

namespace Crik.Cli.Streaming;

/// <summary>
/// One of CRIU's image pipes, counting the time crik spends blocked on it as time waiting for CRIU:
/// reads block until CRIU has written (dump), writes until CRIU has read (restore).
/// </summary>
internal sealed class TimedPipe(Stream pipe, StreamTimes times) : Stream
{
    public override bool CanRead => pipe.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => pipe.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        long started = StreamTimes.Now();
        int read = pipe.Read(buffer);
        times.CriuSince(started);
        times.Moved(read);
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        long started = StreamTimes.Now();
        pipe.Write(buffer);
        times.CriuSince(started);
        times.Moved(buffer.Length);
    }

    public override void Flush() => pipe.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            pipe.Dispose();
        }
        base.Dispose(disposing);
    }
}

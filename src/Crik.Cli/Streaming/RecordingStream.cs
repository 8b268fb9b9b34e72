namespace Crik.Cli.Streaming;

/// <summary>Reads through to another stream and keeps a copy of every byte read (for a small image crik reads itself afterwards).</summary>
internal sealed class RecordingStream(Stream source) : ReadOnlyStream
{
    private readonly MemoryStream _copy = new();

    /// <summary>Every byte read so far.</summary>
    public byte[] Recorded => _copy.ToArray();

    public override int Read(Span<byte> buffer)
    {
        int read = source.Read(buffer);
        _copy.Write(buffer[..read]);
        return read;
    }

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

using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.PreDumping;

/// <summary>Reads byte ranges of files one after another, as if they were one file.</summary>
internal sealed class SegmentStream(IReadOnlyList<FileSegment> segments) : Stream
{
    private readonly Dictionary<string, SafeFileHandle> _files = new(StringComparer.Ordinal);
    private int _segment;
    private long _within;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_segment < segments.Count)
        {
            FileSegment current = segments[_segment];
            long left = current.Length - _within;
            if (left <= 0)
            {
                _segment++;
                _within = 0;
                continue;
            }
            int want = (int)Math.Min(buffer.Length, left);
            int read = RandomAccess.Read(Open(current.Path), buffer[..want], current.Offset + _within);
            if (read == 0)
            {
                throw new IOException($"{current.Path} ended before byte {current.Offset + current.Length} (it changed while crik read it)");
            }
            _within += read;
            return read;
        }
        return 0;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (SafeFileHandle file in _files.Values)
            {
                file.Dispose();
            }
            _files.Clear();
        }
        base.Dispose(disposing);
    }

    private SafeFileHandle Open(string path)
    {
        if (!_files.TryGetValue(path, out SafeFileHandle? file))
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            _files[path] = file;
        }
        return file;
    }
}

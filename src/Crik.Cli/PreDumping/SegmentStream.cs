using Crik.Cli.Interop;
using Crik.Cli.Streaming;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.PreDumping;

/// <summary>Reads byte ranges of files one after another, as if they were one file. Each file is opened once, through its directory's handle.</summary>
internal sealed class SegmentStream(IReadOnlyList<FileSegment> segments) : ReadOnlyStream
{
    private readonly Dictionary<(DirectoryHandle Directory, string Name), SafeFileHandle> _files = [];
    private int _segment;
    private long _within;

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
            int read = RandomAccess.Read(Open(current), buffer[..want], current.Offset + _within);
            if (read == 0)
            {
                throw new IOException($"{current.Directory.PathOf(current.Name)} ended before byte {current.Offset + current.Length} (it changed while crik read it)");
            }
            _within += read;
            return read;
        }
        return 0;
    }

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

    private SafeFileHandle Open(FileSegment segment)
    {
        if (!_files.TryGetValue((segment.Directory, segment.Name), out SafeFileHandle? file))
        {
            file = segment.Directory.TryOpenFile(segment.Name)
                ?? throw new IOException($"{segment.Directory.PathOf(segment.Name)} is gone (it was there when its pagemap was read)");
            _files[(segment.Directory, segment.Name)] = file;
        }
        return file;
    }
}

using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// A write-only stream on an inherited descriptor that uses write(2) at the descriptor's own offset,
/// unlike FileStream, which tracks a private position and would overwrite what the app wrote to the
/// same file.
/// </summary>
internal sealed class DescriptorStream(SafeFileHandle descriptor) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Whether a write has failed (a reader that closed the pipe, a full disk).</summary>
    public bool Failed { get; private set; }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            byte* next = start;
            nint left = buffer.Length;
            while (left > 0)
            {
                nint written = Libc.Write(descriptor, next, left);
                if (written < 0)
                {
                    Errno errno = Libc.LastErrno;
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }
                    Failed = true;
                    throw Posix.Failure($"write(fd {descriptor.DangerousGetHandle()})", errno);
                }
                next += written;
                left -= written;
            }
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

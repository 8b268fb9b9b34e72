using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>What became of a copy into (or a zero page for) a restored app's missing memory.</summary>
internal enum FillResult
{
    /// <summary>Every byte is in.</summary>
    Done,

    /// <summary>A page was there already (the app wrote it, or another copy won): the bytes before it are in.</summary>
    Exists,

    /// <summary>The app is changing its memory (a fork, mremap, madvise or munmap) and the event is not read yet: read it, then try again.</summary>
    Retry,

    /// <summary>The range is not mapped (any more): the app unmapped or moved it.</summary>
    Unmapped,

    /// <summary>The process is gone.</summary>
    Gone,
}

/// <summary>The kinds of message a userfaultfd reports (UFFD_EVENT_*).</summary>
internal enum UserfaultEvent : byte
{
    PageFault = 0x12,
    Fork = 0x13,
    Remap = 0x14,
    Remove = 0x15,
    Unmap = 0x16,
}

/// <summary>
/// One struct uffd_msg: a page fault (<see cref="First"/> is the address), a fork (<see cref="Child"/>
/// is the child's userfaultfd, already in crik's descriptor table), a remap (from, to, length) or a
/// removed or unmapped range (start, end).
/// </summary>
internal readonly record struct UserfaultMessage(UserfaultEvent Event, ulong First, ulong Second, ulong Third)
{
    public int Child => (int)(uint)First;
}

/// <summary>
/// A userfaultfd CRIU handed crik for one restored process: its missing memory is filled through it,
/// from any thread. The descriptor stays open for a call in flight even when another thread disposes this.
/// </summary>
internal sealed unsafe class UserfaultFile(SafeFileHandle handle) : IDisposable
{
    private const int MessageBytes = 32;

    /// <summary>The descriptor's number, for poll(2) on the thread that alone disposes this.</summary>
    public int Number => (int)handle.DangerousGetHandle();

    public bool IsClosed => handle.IsClosed;

    /// <summary>Copies <paramref name="length"/> bytes at <paramref name="source"/> into the process at <paramref name="address"/>, waking whoever waits there.</summary>
    /// <param name="copied">How many bytes went in, also when not all did.</param>
    public FillResult Copy(ulong address, byte* source, long length, out long copied)
    {
        var copy = new Libc.UserfaultCopy { Destination = address, Source = (ulong)source, Length = (ulong)length };
        int result = Libc.Ioctl(handle, Libc.UFFDIO_COPY, &copy);
        copied = Math.Max(copy.Copied, 0);
        return result == 0 ? FillResult.Done : Failed("UFFDIO_COPY", Libc.LastErrno);
    }

    /// <summary>Maps zero pages at <paramref name="address"/> (memory the app never had data in, or dropped), waking whoever waits there.</summary>
    public FillResult Zero(ulong address, long length)
    {
        var zero = new Libc.UserfaultZeroPage { Range = new Libc.UserfaultRange { Start = address, Length = (ulong)length } };
        return Libc.Ioctl(handle, Libc.UFFDIO_ZEROPAGE, &zero) == 0 ? FillResult.Done : Failed("UFFDIO_ZEROPAGE", Libc.LastErrno);
    }

    /// <summary>Wakes the threads waiting on a range whose pages are in.</summary>
    public void Wake(ulong address, long length)
    {
        var range = new Libc.UserfaultRange { Start = address, Length = (ulong)length };
        _ = Libc.Ioctl(handle, Libc.UFFDIO_WAKE, &range);
    }

    /// <summary>
    /// Whether the memory this userfaultfd serves is still a process's: false once that process exited or ran
    /// another program (exec), true while it is, null when the kernel's answer says neither (EAGAIN while the app
    /// forks or moves memory and the event is not read yet). Asks for the write
    /// protection of the page at <paramref name="address"/> to be lifted, which does nothing where crik asked for
    /// none (ENOENT); the kernel answers ESRCH when the memory is gone.
    /// </summary>
    public bool? Serves(ulong address) => Serves(handle, address);

    /// <inheritdoc cref="Serves(ulong)"/>
    public static bool? Serves(SafeFileHandle handle, ulong address)
    {
        var unprotect = new Libc.UserfaultWriteProtect { Range = new Libc.UserfaultRange { Start = address, Length = (ulong)Environment.SystemPageSize } };
        if (Libc.Ioctl(handle, Libc.UFFDIO_WRITEPROTECT, &unprotect) == 0)
        {
            return true;
        }
        return Libc.LastErrno switch
        {
            Errno.ENOENT => true,
            Errno.ESRCH => false,
            _ => null,
        };
    }

    /// <summary>The next message waiting, or null when none is (the descriptor is non-blocking).</summary>
    public UserfaultMessage? TryRead()
    {
        byte* message = stackalloc byte[MessageBytes];
        nint read;
        do
        {
            read = Libc.Read(handle, message, MessageBytes);
        }
        while (read < 0 && Libc.LastErrno == Errno.EINTR);
        if (read < 0 && Libc.LastErrno == Errno.EAGAIN)
        {
            return null;
        }
        if (read != MessageBytes)
        {
            throw read < 0 ? Posix.Failure("reading a userfaultfd", Libc.LastErrno) : new IOException($"a userfaultfd gave {read} bytes, not a {MessageBytes}-byte message");
        }
        var bytes = new ReadOnlySpan<byte>(message, MessageBytes);
        return new UserfaultMessage((UserfaultEvent)bytes[0], BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]), BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]));
    }

    public void Dispose() => handle.Dispose();

    private static FillResult Failed(string call, Errno errno) => errno switch
    {
        Errno.EEXIST => FillResult.Exists,
        Errno.EAGAIN => FillResult.Retry,
        Errno.ENOENT => FillResult.Unmapped,
        Errno.ESRCH or Errno.ENOSPC => FillResult.Gone,
        _ => throw Posix.Failure(call, errno),
    };
}

using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// Writing into a pipe that a busy reader drains: each write takes what fits and returns, and the
/// writer waits for room in poll(2). A write(2) that blocks would do the same, but a write(2)
/// started while the reader is copying out of the pipe (CRIU restoring memory holds the pipe's lock
/// through page faults) spins in the kernel on that lock for as long as the copy lasts; poll(2)
/// sleeps until the reader is done, and only then does the next write take the lock.
/// </summary>
internal static unsafe class NonBlockingPipe
{
    /// <summary>Sets O_NONBLOCK on the write end of a pipe (CRIU only reads from the pipe, so only crik's writes see it).</summary>
    public static void Enable(SafeFileHandle pipe)
    {
        int fd = (int)pipe.DangerousGetHandle();
        int flags = Libc.Fcntl(fd, Libc.F_GETFL, 0);
        if (flags < 0 || Libc.Fcntl(fd, Libc.F_SETFL, flags | (int)OpenFlags.NonBlocking) < 0)
        {
            throw Posix.Failure("fcntl(F_SETFL, O_NONBLOCK) on an image pipe", Libc.LastErrno);
        }
    }

    /// <summary>
    /// Writes as much of <paramref name="buffers"/>, in order, as the pipe has room for: the bytes
    /// written, 0 when it is full. Throws <see cref="IOException"/> when the reader has gone (EPIPE).
    /// </summary>
    public static long Write(SafeFileHandle pipe, IReadOnlyList<ArraySegment<byte>> buffers)
    {
        int count = buffers.Count;
        var pins = new MemoryHandle[count];
        Libc.IoVector* vectors = stackalloc Libc.IoVector[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                pins[i] = buffers[i].AsMemory().Pin();
                vectors[i] = new Libc.IoVector { Base = pins[i].Pointer, Length = (nuint)buffers[i].Count };
            }
            while (true)
            {
                nint written = Libc.WriteVector(pipe, vectors, count);
                if (written >= 0)
                {
                    return written;
                }
                Errno errno = Libc.LastErrno;
                if (errno == Errno.EAGAIN)
                {
                    return 0;
                }
                if (errno != Errno.EINTR)
                {
                    throw Posix.Failure("writev to an image pipe", errno);
                }
            }
        }
        finally
        {
            foreach (MemoryHandle pin in pins)
            {
                pin.Dispose();
            }
        }
    }

    /// <summary>Waits until the pipe has room, or its reader has gone (the next write then throws).</summary>
    public static void WaitForRoom(SafeFileHandle pipe)
    {
        var poll = new Libc.PollDescriptor { Fd = (int)pipe.DangerousGetHandle(), Events = Libc.POLLOUT };
        while (Libc.Poll(&poll, 1, -1) < 0)
        {
            if (Libc.LastErrno != Errno.EINTR)
            {
                throw Posix.Failure("poll on an image pipe", Libc.LastErrno);
            }
        }
    }
}

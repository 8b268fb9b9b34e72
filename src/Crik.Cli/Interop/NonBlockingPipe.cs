using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// Writing into a pipe that a busy reader drains, without the writer spinning on the pipe's lock.
/// The reader (CRIU restoring memory) holds that lock while it copies out of the pipe, through page
/// faults, and a write(2) started meanwhile spins on it in the kernel for as long as the copy lasts.
/// So each write takes what fits without blocking, and once the pipe is full the writer sleeps until
/// the reader has finished a read: an edge-triggered epoll, since the pipe's level says "room" as
/// soon as the reader has taken its first page, long before it lets go of the lock.
/// </summary>
internal sealed unsafe class NonBlockingPipe : IDisposable
{
    private readonly SafeFileHandle _pipe;
    private readonly SafeFileHandle _epoll;

    /// <summary>Sets O_NONBLOCK on the write end of <paramref name="pipe"/> (CRIU only reads from the pipe, so only crik's writes see it). The caller still owns the pipe.</summary>
    public NonBlockingPipe(SafeFileHandle pipe)
    {
        _pipe = pipe;
        int fd = (int)pipe.DangerousGetHandle();
        int flags = Libc.Fcntl(fd, Libc.F_GETFL, 0);
        if (flags < 0 || Libc.Fcntl(fd, Libc.F_SETFL, flags | OpenFlags.NonBlocking) < 0)
        {
            throw Posix.Failure("fcntl(F_SETFL, O_NONBLOCK) on an image pipe", Libc.LastErrno);
        }
        int epoll = Libc.EpollCreate(Libc.EPOLL_CLOEXEC);
        if (epoll < 0)
        {
            throw Posix.Failure("epoll_create1", Libc.LastErrno);
        }
        _epoll = new SafeFileHandle(epoll, ownsHandle: true);
        byte* epollEvent = stackalloc byte[Libc.EpollEventBytes];
        new Span<byte>(epollEvent, Libc.EpollEventBytes).Clear();
        *(uint*)epollEvent = Libc.EPOLLOUT | Libc.EPOLLET;
        if (Libc.EpollControl(_epoll, Libc.EPOLL_CTL_ADD, fd, epollEvent) < 0)
        {
            _epoll.Dispose();
            throw Posix.Failure("epoll_ctl on an image pipe", Libc.LastErrno);
        }
    }

    /// <summary>
    /// Writes as much of <paramref name="buffers"/>, in order, as the pipe has room for: the bytes
    /// written, 0 when it is full. Throws <see cref="IOException"/> when the reader has gone (EPIPE).
    /// <paramref name="byReference"/> hands the pipe the buffers' pages instead of copies of them
    /// (vmsplice), which keeps the copy off the reader's path (it waits on the pipe's lock while a
    /// write copies); the caller must then keep those buffers pinned and unchanged until
    /// <see cref="Unread"/> says the reader has taken them.
    /// </summary>
    public long Write(IReadOnlyList<ArraySegment<byte>> buffers, bool byReference = false)
    {
        // Wake-ups from before this write say nothing about the room it leaves.
        Wait(timeoutMilliseconds: 0);
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
                nint written = byReference
                    ? Libc.VmSplice(_pipe, vectors, (nuint)count, Libc.SPLICE_F_NONBLOCK)
                    : Libc.WriteVector(_pipe, vectors, count);
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
                    throw Posix.Failure(byReference ? "vmsplice to an image pipe" : "writev to an image pipe", errno);
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

    /// <summary>The bytes in the pipe that the reader has not read yet.</summary>
    public long Unread()
    {
        int unread;
        if (Libc.Ioctl((int)_pipe.DangerousGetHandle(), Libc.FIONREAD, &unread) < 0)
        {
            throw Posix.Failure("ioctl(FIONREAD) on an image pipe", Libc.LastErrno);
        }
        return unread;
    }

    /// <summary>Whether the reader has closed its end (a pipe's write end polls as an error then): what it left in the pipe is never read.</summary>
    public bool ReaderGone()
    {
        var descriptor = new Libc.PollDescriptor { Fd = (int)_pipe.DangerousGetHandle() };
        return Libc.Poll(&descriptor, 1, 0) > 0 && (descriptor.ReturnedEvents & Libc.POLLERR) != 0;
    }

    /// <summary>
    /// After a write that filled the pipe: waits until the reader has finished a read from it, or
    /// has gone (the next write then throws). A wake-up only comes for a read from a full pipe, so
    /// should a write ever stop short of filling it, the wait ends within a tenth of a second anyway.
    /// </summary>
    public void WaitForReader() => Wait(timeoutMilliseconds: 100);

    public void Dispose() => _epoll.Dispose();

    private void Wait(int timeoutMilliseconds)
    {
        byte* epollEvent = stackalloc byte[Libc.EpollEventBytes];
        while (Libc.EpollWait(_epoll, epollEvent, 1, timeoutMilliseconds) < 0)
        {
            if (Libc.LastErrno != Errno.EINTR)
            {
                throw Posix.Failure("epoll_wait on an image pipe", Libc.LastErrno);
            }
        }
    }
}

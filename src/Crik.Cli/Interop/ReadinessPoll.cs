using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// poll(2) over a changing set of descriptors, with an eventfd another thread writes to wake the
/// waiting one (a descriptor added, one to close, or a reason to stop).
/// </summary>
internal sealed unsafe class ReadinessPoll : IDisposable
{
    private readonly SafeFileHandle _wake;
    private long _waits;

    public ReadinessPoll()
    {
        int fd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0)
        {
            throw Posix.Failure("eventfd", Libc.LastErrno);
        }
        _wake = new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>How many times <see cref="Wait"/> was called: where it is called once a round, the rounds begun.</summary>
    public long Waits => Interlocked.Read(ref _waits);

    /// <summary>Ends the current (or next) <see cref="Wait"/> at once.</summary>
    public void Wake()
    {
        ulong one = 1;
        try
        {
            _ = Libc.Write(_wake, (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // the waiting is over
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: without end) for one of
    /// <paramref name="fds"/> to be readable or for <see cref="Wake"/>; returns the indexes of those readable.
    /// </summary>
    public List<int> Wait(IReadOnlyList<int> fds, int timeoutMilliseconds)
    {
        Interlocked.Increment(ref _waits);
        var descriptors = new Libc.PollDescriptor[fds.Count + 1];
        descriptors[0] = new Libc.PollDescriptor { Fd = (int)_wake.DangerousGetHandle(), Events = Libc.POLLIN };
        for (int i = 0; i < fds.Count; i++)
        {
            descriptors[i + 1] = new Libc.PollDescriptor { Fd = fds[i], Events = Libc.POLLIN };
        }
        int ready;
        fixed (Libc.PollDescriptor* first = descriptors)
        {
            ready = Libc.Poll(first, (nuint)descriptors.Length, timeoutMilliseconds);
        }
        if (ready < 0 && Libc.LastErrno != Errno.EINTR)
        {
            throw Posix.Failure("poll", Libc.LastErrno);
        }
        if (descriptors[0].ReturnedEvents != 0)
        {
            ulong count;
            _ = Libc.Read(_wake, (byte*)&count, sizeof(ulong));
        }
        var readable = new List<int>();
        for (int i = 1; i < descriptors.Length; i++)
        {
            if (descriptors[i].ReturnedEvents != 0)
            {
                readable.Add(i - 1);
            }
        }
        return readable;
    }

    public void Dispose() => _wake.Dispose();
}

using Crik.Cli.Interop;
using Crik.Cli.Records;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Locking;

/// <summary>An exclusive flock(2) on a file crik opened itself (e.g. relative to a directory it holds), released when disposed.</summary>
internal sealed class HandleLock : IStoreLock
{
    private readonly SafeFileHandle _file;

    private HandleLock(SafeFileHandle file) => _file = file;

    /// <summary>How often a wait for the lock says it still waits.</summary>
    public static readonly TimeSpan WaitingNotice = TimeSpan.FromSeconds(10);

    /// <summary>Takes the lock, waiting up to <paramref name="timeout"/>; null (and the file closed) when another holder kept it.</summary>
    /// <param name="stillWaiting">Called when another holder keeps it, then every <see cref="WaitingNotice"/>.</param>
    public static HandleLock? TryAcquire(SafeFileHandle file, string pathForMessages, TimeSpan timeout, Action? stillWaiting = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var notice = DateTime.UtcNow;
        while (Libc.Flock((int)file.DangerousGetHandle(), Libc.LOCK_EX | Libc.LOCK_NB) != 0)
        {
            Errno errno = Libc.LastErrno;
            if (errno != Errno.EWOULDBLOCK && errno != Errno.EINTR)
            {
                file.Dispose();
                throw Posix.Failure($"flock({pathForMessages})", errno);
            }
            if (DateTime.UtcNow >= deadline)
            {
                file.Dispose();
                return null;
            }
            if (DateTime.UtcNow >= notice)
            {
                stillWaiting?.Invoke();
                notice = DateTime.UtcNow + WaitingNotice;
            }
            try
            {
                Timing.WaitsBeforeTheApp.Sleep(TimeSpan.FromMilliseconds(50));
            }
            catch (Timing.PodStoppingException)
            {
                file.Dispose();
                throw;
            }
        }
        return new HandleLock(file);
    }

    /// <summary>A flock is held until released or its holder dies; it cannot be lost while crik lives.</summary>
    public HoldState State => HoldState.Held;

    public HoldState WaitForChange(HoldState seen, TimeSpan atMost, CancellationToken stop)
    {
        if (seen == HoldState.Held)
        {
            stop.WaitHandle.WaitOne(atMost < TimeSpan.Zero ? Timeout.InfiniteTimeSpan : atMost);
        }
        return HoldState.Held;
    }

    public void Dispose() => _file.Dispose();
}

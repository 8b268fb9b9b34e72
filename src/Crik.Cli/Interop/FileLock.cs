namespace Crik.Cli.Interop;

/// <summary>An exclusive flock(2) on a file, released when disposed (or when crik dies).</summary>
internal sealed class FileLock : IDisposable
{
    private int _fd;

    private FileLock(int fd) => _fd = fd;

    /// <summary>Takes the lock, waiting up to <paramref name="timeout"/>; null when another holder kept it.</summary>
    public static FileLock? TryAcquire(string path, TimeSpan timeout)
    {
        int fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0)
        {
            throw Posix.Failure($"open({path})", Libc.LastErrno);
        }
        var deadline = DateTime.UtcNow + timeout;
        while (Libc.Flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) != 0)
        {
            int errno = Libc.LastErrno;
            if (errno != Libc.EWOULDBLOCK && errno != Libc.EINTR)
            {
                Libc.Close(fd);
                throw Posix.Failure($"flock({path})", errno);
            }
            if (DateTime.UtcNow >= deadline)
            {
                Libc.Close(fd);
                return null;
            }
            Thread.Sleep(50);
        }
        return new FileLock(fd);
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            Libc.Close(_fd);
            _fd = -1;
        }
    }
}

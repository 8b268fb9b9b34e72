using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>Safe wrappers over <see cref="Libc"/>: errno becomes a result or an <see cref="IOException"/>.</summary>
internal static class Posix
{
    /// <summary>Sends a signal; false when the process or group no longer exists (ESRCH).</summary>
    public static bool TrySignal(int pid, int signal)
    {
        if (Libc.Kill(pid, signal) == 0)
        {
            return true;
        }
        int errno = Libc.LastErrno;
        if (errno == Libc.ESRCH)
        {
            return false;
        }
        throw Failure($"kill({pid}, {signal})", errno);
    }

    /// <summary>Makes this process a child subreaper, so orphaned descendants are re-parented to it.</summary>
    public static void BecomeChildSubreaper()
    {
        if (Libc.Prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        {
            throw Failure("prctl(PR_SET_CHILD_SUBREAPER)", Libc.LastErrno);
        }
    }

    /// <summary>Restores SIGCHLD's default disposition, so that exited children stay waitable.</summary>
    public static void ResetChildSignalDisposition()
    {
        if (Libc.SetSignalHandler(Libc.SIGCHLD, Libc.SIG_DFL) == -1)
        {
            throw Failure("signal(SIGCHLD, SIG_DFL)", Libc.LastErrno);
        }
    }

    /// <summary>Moves the calling thread into a new IPC namespace; false when not permitted.</summary>
    public static bool TryUnshareIpcNamespace(out int errno)
    {
        errno = Libc.Unshare(Libc.CLONE_NEWIPC) == 0 ? 0 : Libc.LastErrno;
        return errno == 0;
    }

    /// <summary>Flushes the file system that holds <paramref name="path"/>, then the directory itself.</summary>
    public static void SyncFileSystemAndDirectory(string path)
    {
        int fd = OpenDirectory(path);
        try
        {
            if (Libc.SyncFs(fd) != 0)
            {
                throw Failure($"syncfs({path})", Libc.LastErrno);
            }
            if (Libc.Fsync(fd) != 0)
            {
                throw Failure($"fsync({path})", Libc.LastErrno);
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>fsync on a directory, so that a rename or a new entry in it survives a crash.</summary>
    public static void SyncDirectory(string path)
    {
        int fd = OpenDirectory(path);
        try
        {
            if (Libc.Fsync(fd) != 0)
            {
                throw Failure($"fsync({path})", Libc.LastErrno);
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The short name of a signal, e.g. "TERM".</summary>
    public static string SignalName(int signal)
    {
        nint name = Libc.SignalAbbreviation(signal);
        return name == 0 ? signal.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "SIG" + Marshal.PtrToStringUTF8(name);
    }

    private static int OpenDirectory(string path)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Failure($"open({path})", Libc.LastErrno);
        }
        return fd;
    }

    public static IOException Failure(string call, int errno) =>
        new($"{call} failed: {Libc.Describe(errno)}", errno);
}

/// <summary>
/// A write-only stream on an inherited descriptor that uses write(2) at the descriptor's own offset,
/// unlike FileStream, which tracks a private position and would overwrite what the app wrote to the
/// same file.
/// </summary>
internal sealed class DescriptorStream(int fd) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            byte* next = start;
            nint left = buffer.Length;
            while (left > 0)
            {
                nint written = Libc.Write(fd, next, left);
                if (written < 0)
                {
                    int errno = Libc.LastErrno;
                    if (errno == Libc.EINTR)
                    {
                        continue;
                    }
                    throw Posix.Failure($"write(fd {fd})", errno);
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

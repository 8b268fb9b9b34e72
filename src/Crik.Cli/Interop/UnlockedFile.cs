using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// Opening files outside the image directory without locks or final links, and setting owner,
/// mode and timestamps: what a faithful copy of an app's file needs (.NET's own copy takes a
/// flock, which a file the app holds locked refuses, and drops the owner).
/// </summary>
internal static unsafe class UnlockedFile
{
    /// <summary>open(2) with O_NOFOLLOW and O_CLOEXEC and no lock; -1 errno becomes an <see cref="IOException"/>.</summary>
    public static SafeFileHandle Open(string path, int flags, UnixFileMode mode = 0)
    {
        int fd = Libc.Open(path, flags | OpenFlags.NoFollow | OpenFlags.CloseOnExec, (uint)mode);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Posix.Failure($"open({path})", Libc.LastErrno);
    }

    /// <summary>Like <see cref="Open"/>, but returns the errno (ELOOP for a final link) instead of throwing.</summary>
    public static SafeFileHandle? TryOpen(string path, int flags, UnixFileMode mode, out Errno errno)
    {
        int fd = Libc.Open(path, flags | OpenFlags.NoFollow | OpenFlags.CloseOnExec, (uint)mode);
        errno = fd >= 0 ? 0 : Libc.LastErrno;
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null;
    }

    /// <summary>Sets owner, group, mode (in that order: chown clears set-id bits) and times of an open file.</summary>
    public static void Apply(System.Runtime.InteropServices.SafeHandle file, string pathForMessages, uint uid, uint gid, UnixFileMode mode,
        DateTimeOffset accessed, DateTimeOffset modified)
    {
        int fd = (int)file.DangerousGetHandle();
        Check(Libc.FchownAt(fd, "", uid, gid, Libc.AT_EMPTY_PATH), "chown", pathForMessages);
        Check(Libc.Fchmod(fd, (uint)mode), "chmod", pathForMessages);
        long* times = stackalloc long[4];
        Fill(times, accessed, modified);
        Check(Libc.Futimens(fd, times), "futimens", pathForMessages);
    }

    /// <summary>Sets an open file's mode (its times stay as they are).</summary>
    public static void SetMode(System.Runtime.InteropServices.SafeHandle file, UnixFileMode mode, string pathForMessages) =>
        Check(Libc.Fchmod((int)file.DangerousGetHandle(), (uint)mode), "chmod", pathForMessages);

    /// <summary>Sets owner, group and times of a name in a directory crik holds, a link included (never its target).</summary>
    public static void ApplyToLink(DirectoryHandle directory, string name, uint uid, uint gid, DateTimeOffset accessed, DateTimeOffset modified)
    {
        string path = directory.PathOf(name);
        Check(Libc.FchownAt(directory.Fd, name, uid, gid, Libc.AT_SYMLINK_NOFOLLOW), "lchown", path);
        SetTimes(directory.Fd, name, Libc.AT_SYMLINK_NOFOLLOW, accessed, modified, path);
    }

    /// <summary>fsync(2) on an open file.</summary>
    public static void Sync(SafeFileHandle file, string pathForMessages)
    {
        Check(Libc.Fsync((int)file.DangerousGetHandle()), "fsync", pathForMessages);
    }

    private static void SetTimes(int dirFd, string name, int flags, DateTimeOffset accessed, DateTimeOffset modified, string path)
    {
        long* times = stackalloc long[4];
        Fill(times, accessed, modified);
        Check(Libc.UtimensAt(dirFd, name, times, flags), "utimensat", path);
    }

    private static void Fill(long* times, DateTimeOffset accessed, DateTimeOffset modified)
    {
        (times[0], times[1]) = Timespec(accessed);
        (times[2], times[3]) = Timespec(modified);
    }

    /// <summary>Seconds and nanoseconds since the epoch (DateTimeOffset keeps 100 ns).</summary>
    private static (long Seconds, long Nanoseconds) Timespec(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }
        return (seconds, rest * 100);
    }

    private static void Check(int result, string call, string path)
    {
        if (result != 0)
        {
            throw Posix.Failure($"{call}({path})", Libc.LastErrno);
        }
    }
}

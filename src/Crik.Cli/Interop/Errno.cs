namespace Crik.Cli.Interop;

/// <summary>
/// The errno values crik tells apart. They are the same on x86-64 and arm64 (both use the generic
/// numbering); <see cref="Platform"/> refuses other architectures at start.
/// </summary>
internal enum Errno
{
    None = 0,
    EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, ENOEXEC = 8, ECHILD = 10, EAGAIN = 11, EACCES = 13,
    EBUSY = 16, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOSPC = 28, EROFS = 30, EPIPE = 32, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40,
    ERANGE = 34, ENODATA = 61, EOPNOTSUPP = 95,

    /// <summary>The same number as EAGAIN on Linux: a non-blocking lock is held by someone else.</summary>
    EWOULDBLOCK = EAGAIN,
}

internal static class ErrnoText
{
    /// <summary>The C library's sentence for an errno value, e.g. "No such file or directory".</summary>
    public static string Message(this Errno errno) => Libc.Describe(errno);
}

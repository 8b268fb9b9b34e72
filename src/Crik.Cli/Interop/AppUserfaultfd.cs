using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// A userfaultfd of another process's memory, held by crik alone. The kernel ties a userfaultfd to the memory of the process
/// that creates it, so the app makes it in a thread crik stopped (<see cref="AppSyscall"/>), crik takes it (pidfd_getfd) and
/// the app closes its own: an app with a userfaultfd among its descriptors cannot be dumped by CRIU. No event features are
/// asked for, since each stops the app's threads until crik reads it; so a forked child's memory, and an area moved by
/// mremap, are no longer registered, and the kernel reports them as such. Which thread makes it, and whether a process may
/// be made to call userfaultfd at all, is for the caller to choose.
/// </summary>
internal static unsafe class AppUserfaultfd
{
    private const long UserfaultfdX64 = 323, CloseX64 = 3;
    private const int O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800, UFFD_USER_MODE_ONLY = 1;
    private const ulong UffdApi = 0xAA;
    private const nuint UffdioApi = 0xC018AA3F;

    /// <summary>
    /// A new userfaultfd of process <paramref name="pid"/>'s memory, made in the thread <paramref name="stopAThread"/> stops
    /// (once the process is opened) and taken from it, with the number it had in the process (a child the process forked
    /// while it held it has a copy there); throws IOException when it cannot be.
    /// </summary>
    public static (SafeFileHandle Taken, int NumberInApp) MadeInApp(int pid, Func<AppSyscall> stopAThread)
    {
        using SafeFileHandle process = OpenPidfd(pid);
        using AppSyscall call = stopAThread();
        long made = call.Run(UserfaultfdX64, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
        if (made < 0)
        {
            throw new IOException($"process {pid} could not make a userfaultfd: {Libc.Describe((Errno)(-made))}");
        }
        try
        {
            long fd = Libc.Syscall3(Libc.SYS_pidfd_getfd, process.DangerousGetHandle(), made, 0);
            return fd >= 0
                ? (new SafeFileHandle((nint)fd, ownsHandle: true), (int)made)
                : throw new IOException($"could not take process {pid}'s userfaultfd (pidfd_getfd): {Libc.Describe(Libc.LastErrno)}");
        }
        finally
        {
            _ = call.Run(CloseX64, made);
        }
    }

    /// <summary>Closes descriptor <paramref name="fd"/> in the thread <paramref name="call"/> holds; null when done, else the kernel's error.</summary>
    public static Errno? Close(AppSyscall call, int fd)
    {
        long closed = call.Run(CloseX64, fd);
        return closed < 0 ? (Errno)(-closed) : null;
    }

    /// <summary>A new userfaultfd of crik's own memory; null when the kernel refuses it (<see cref="Libc.LastErrno"/> says why).</summary>
    public static SafeFileHandle? MadeHere()
    {
        long fd = Libc.Syscall1(UserfaultfdX64, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
        return fd < 0 ? null : new SafeFileHandle((nint)fd, ownsHandle: true);
    }

    /// <summary>
    /// Puts <paramref name="userfaultfd"/> in asynchronous write-protect mode (UFFDIO_API with UFFD_FEATURE_WP_ASYNC and
    /// UFFD_FEATURE_WP_UNPOPULATED); the errno when the kernel refuses, <see cref="Errno.None"/> when it did.
    /// </summary>
    public static Errno WriteProtectAsynchronously(SafeFileHandle userfaultfd)
    {
        var api = new Libc.UserfaultApi { Api = UffdApi, Features = Libc.UFFD_FEATURE_WP_ASYNC | Libc.UFFD_FEATURE_WP_UNPOPULATED };
        return Libc.Ioctl(userfaultfd, UffdioApi, &api) < 0 ? Libc.LastErrno : Errno.None;
    }

    private static SafeFileHandle OpenPidfd(int pid) =>
        Pidfd.TryOpen(pid) ?? throw new IOException($"could not open process {pid} (pidfd_open): {Libc.Describe(Libc.LastErrno)}");
}

using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// A userfaultfd of another process's memory, in asynchronous write-protect mode, held by crik alone. The kernel ties a
/// userfaultfd to the memory of the process that creates it, so the app makes it (<see cref="AppSyscall"/>), crik takes it
/// (pidfd_getfd) and the app closes its own: an app with a userfaultfd among its descriptors cannot be dumped by CRIU. No
/// event features are asked for, since each stops the app's threads until crik reads it; so a forked child's memory, and
/// an area moved by mremap, are no longer registered, and the kernel reports them as such.
/// </summary>
internal static unsafe class AppUserfaultfd
{
    private const long UserfaultfdX64 = 323, CloseX64 = 3;
    private const int O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800, UFFD_USER_MODE_ONLY = 1;
    private const ulong UffdApi = 0xAA;
    private const nuint UffdioApi = 0xC018AA3F;

    /// <summary>
    /// The new userfaultfd of process <paramref name="pid"/>'s memory, made by one of its threads; throws IOException when none of
    /// them can make it (the process is gone or traced already, the kernel or a seccomp profile refuses userfaultfd, or the
    /// kernel has no asynchronous write-protection: before 6.7).
    /// </summary>
    public static SafeFileHandle Take(int pid, TimeSpan wait)
    {
        SafeFileHandle taken = MadeInApp(pid, wait);
        try
        {
            var api = new Libc.UserfaultApi { Api = UffdApi, Features = Libc.UFFD_FEATURE_WP_ASYNC | Libc.UFFD_FEATURE_WP_UNPOPULATED };
            if (Libc.Ioctl(taken, UffdioApi, &api) < 0)
            {
                throw new IOException($"this kernel's userfaultfd cannot write-protect asynchronously (Linux 6.7 or later can): {Libc.Describe(Libc.LastErrno)}");
            }
            return taken;
        }
        catch
        {
            taken.Dispose();
            throw;
        }
    }

    private static SafeFileHandle MadeInApp(int pid, TimeSpan wait)
    {
        using SafeFileHandle process = OpenPidfd(pid);
        using AppSyscall call = AppSyscall.Stop(ThreadToUse(pid), wait);
        long made = call.Run(UserfaultfdX64, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
        if (made < 0)
        {
            throw new IOException($"process {pid} could not make a userfaultfd: {Libc.Describe((Errno)(-made))}");
        }
        try
        {
            long fd = Libc.Syscall3(Libc.SYS_pidfd_getfd, process.DangerousGetHandle(), made, 0);
            return fd >= 0
                ? new SafeFileHandle((nint)fd, ownsHandle: true)
                : throw new IOException($"could not take process {pid}'s userfaultfd (pidfd_getfd): {Libc.Describe(Libc.LastErrno)}");
        }
        finally
        {
            _ = call.Run(CloseX64, made);
        }
    }

    private static SafeFileHandle OpenPidfd(int pid)
    {
        long fd = Libc.Syscall3(Libc.SYS_pidfd_open, pid, 0, 0);
        return fd >= 0
            ? new SafeFileHandle((nint)fd, ownsHandle: true)
            : throw new IOException($"could not open process {pid} (pidfd_open): {Libc.Describe(Libc.LastErrno)}");
    }

    /// <summary>The process's main thread, or its first other thread when the main one has ended (a zombie cannot be stopped to run a call).</summary>
    private static int ThreadToUse(int pid) => !IsZombie(pid, pid)
        ? pid
        : Directory.EnumerateDirectories($"/proc/{pid}/task")
            .Select(path => int.TryParse(Path.GetFileName(path), out int tid) ? tid : 0)
            .FirstOrDefault(tid => tid > 0 && !IsZombie(pid, tid), pid);

    private static bool IsZombie(int pid, int tid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/task/{tid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (IOException)
        {
            return true;
        }
    }
}

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
    public static SafeFileHandle Take(int pid, TimeSpan wait, CodeArea? vdso)
    {
        if (AppSyscall.Unsupported() is { } unsupported)
        {
            throw new IOException(unsupported);
        }
        if (KernelRefuses.Value is { } refused)
        {
            throw new IOException(refused); // asked of crik's own userfaultfd first: nothing is run in the app for a kernel that cannot
        }
        SafeFileHandle taken = MadeInApp(pid, wait, vdso);
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

    /// <summary>Why this kernel (or crik's container) gives no asynchronous write-protection, found with a userfaultfd of crik's own; null when it does.</summary>
    private static readonly Lazy<string?> KernelRefuses = new(() =>
    {
        long fd = Libc.Syscall1(UserfaultfdX64, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
        if (fd < 0)
        {
            return $"userfaultfd is not allowed here: {Libc.Describe(Libc.LastErrno)}";
        }
        using var own = new SafeFileHandle((nint)fd, ownsHandle: true);
        var api = new Libc.UserfaultApi { Api = UffdApi, Features = Libc.UFFD_FEATURE_WP_ASYNC | Libc.UFFD_FEATURE_WP_UNPOPULATED };
        return Libc.Ioctl(own, UffdioApi, &api) < 0
            ? $"this kernel's userfaultfd cannot write-protect asynchronously (Linux 6.7 or later can): {Libc.Describe(Libc.LastErrno)}"
            : null;
    });

    private static SafeFileHandle MadeInApp(int pid, TimeSpan wait, CodeArea? vdso)
    {
        using SafeFileHandle process = OpenPidfd(pid);
        using AppSyscall call = StopAThread(pid, wait, vdso);
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

    /// <summary>
    /// Why thread <paramref name="tid"/> must not be made to call userfaultfd(2): a seccomp filter may kill the process for
    /// it. The filters crik has (a container runtime's, which the app inherits) let crik call it and live; a filter the app
    /// added of its own (more filters than crik's), or strict mode, may not. Null when it is safe.
    /// </summary>
    internal static string? SeccompRisk(int pid, int tid)
    {
        ProcStatus status = ProcStatus.Read($"/proc/{pid}/task/{tid}/status");
        int mode = status.Seccomp ?? 0, filters = status.SeccompFilters ?? -1;
        int crikFilters = ProcStatus.Read("/proc/thread-self/status").SeccompFilters ?? -1;
        return mode == 1 ? $"process {pid} runs in seccomp's strict mode, which kills it at any other system call"
            : mode == 2 && filters < 0 ? $"process {pid} has seccomp filters, and this kernel does not say how many (Linux 5.9 does)"
            : mode == 2 && filters > crikFilters
                ? $"process {pid} installed seccomp filters of its own ({filters} against crik's {crikFilters}), which may kill it at the userfaultfd crik would have it make"
                : null;
    }

    private static SafeFileHandle OpenPidfd(int pid) =>
        Pidfd.TryOpen(pid) ?? throw new IOException($"could not open process {pid} (pidfd_open): {Libc.Describe(Libc.LastErrno)}");

    /// <summary>
    /// One of the process's threads, stopped to run calls in (<see cref="AppSyscall"/>): its main thread, or else the first
    /// other, where the main thread has ended (a zombie cannot be stopped to run a call) or waits in a call with a signal mask
    /// of its own, which crik cannot block signals in (<see cref="AppSyscall.InOwnMaskCall"/>). Throws IOException when none can.
    /// </summary>
    private static AppSyscall StopAThread(int pid, TimeSpan wait, CodeArea? vdso)
    {
        List<int> living = [.. Threads(pid).Where(tid => !IsZombie(pid, tid))];
        int tid = living.Where(tid => !AppSyscall.InOwnMaskCall(pid, tid)).Concat(living).FirstOrDefault();
        if (tid == 0)
        {
            throw new IOException($"process {pid} has no thread left to run a call in");
        }
        return SeccompRisk(pid, tid) is { } risk ? throw new IOException(risk) : AppSyscall.Stop(tid, wait, vdso);
    }

    /// <summary>The process's threads, its main thread first.</summary>
    private static IEnumerable<int> Threads(int pid) =>
        new[] { pid }.Concat(Directory.EnumerateDirectories($"/proc/{pid}/task")
            .Select(path => int.TryParse(Path.GetFileName(path), out int tid) ? tid : 0)
            .Where(tid => tid > 0 && tid != pid));

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

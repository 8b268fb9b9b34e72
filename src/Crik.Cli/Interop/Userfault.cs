using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// What a lazy restore needs of the kernel, asked the way CRIU asks it for a lazy restore: a
/// userfaultfd that reports the app's forks, unmaps and removed ranges.
/// </summary>
internal static unsafe class Userfault
{
    private const int O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800;
    private const ulong UffdApi = 0xAA;
    private const ulong EventFork = 1 << 1, EventRemap = 1 << 2, EventRemove = 1 << 3, EventUnmap = 1 << 6;
    private const nuint UffdioApi = 0xC018AA3F; // _IOWR(0xAA, 0x3F, struct uffdio_api)

    /// <summary>Null when CRIU can serve memory on demand here; otherwise why not.</summary>
    /// <param name="hasSysPtrace">crik holds CAP_SYS_PTRACE (to tell a seccomp profile from a missing capability).</param>
    /// <param name="unprivilegedSysctl">vm.unprivileged_userfaultfd, for the message; null when unknown.</param>
    public static string? Unavailable(bool hasSysPtrace, string? unprivilegedSysctl)
    {
        long number = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 282 : 323;
        long fd = Libc.Syscall1(number, O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
        {
            Errno errno = Libc.LastErrno;
            return errno switch
            {
                Errno.ENOSYS => "this kernel has no userfaultfd (CONFIG_USERFAULTFD)",
                Errno.EPERM => WhyRefused(hasSysPtrace, unprivilegedSysctl),
                _ => $"userfaultfd failed: {Libc.Describe(errno)}",
            };
        }
        try
        {
            var api = new Libc.UserfaultApi { Api = UffdApi, Features = EventFork | EventRemap | EventRemove | EventUnmap };
            if (Libc.Ioctl((int)fd, UffdioApi, &api) < 0)
            {
                Errno errno = Libc.LastErrno;
                return errno == Errno.EPERM
                    ? "userfaultfd cannot follow the app's forks without CAP_SYS_PTRACE; add it to the container's capabilities"
                    : $"this kernel's userfaultfd lacks what CRIU needs (fork, remap, remove and unmap events): {Libc.Describe(errno)}";
            }
            return null;
        }
        finally
        {
            _ = Libc.Close((int)fd);
        }
    }

    /// <summary>
    /// Why userfaultfd(2) said EPERM: with CAP_SYS_PTRACE only a seccomp profile refuses it (Docker's and
    /// containerd's defaults allow it only with that capability); without, the kernel refuses it unless
    /// vm.unprivileged_userfaultfd is 1 (and even then CRIU's fork events need the capability).
    /// </summary>
    internal static string WhyRefused(bool hasSysPtrace, string? unprivilegedSysctl) => hasSysPtrace
        ? "userfaultfd is refused by the container's seccomp profile although crik has CAP_SYS_PTRACE; allow the userfaultfd system call in the profile"
        : $"userfaultfd is not allowed here: the container lacks CAP_SYS_PTRACE (vm.unprivileged_userfaultfd is {unprivilegedSysctl ?? "unknown"}, "
            + "and CRIU's fork events need the capability anyway); add SYS_PTRACE to the container's capabilities";
}

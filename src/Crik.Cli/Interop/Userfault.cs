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
    public static string? Unavailable()
    {
        long number = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 282 : 323;
        long fd = Libc.Syscall1(number, O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
        {
            Errno errno = Libc.LastErrno;
            return errno switch
            {
                Errno.ENOSYS => "this kernel has no userfaultfd (CONFIG_USERFAULTFD)",
                Errno.EPERM => "userfaultfd is not allowed here: the container needs CAP_SYS_PTRACE (or a seccomp profile that allows userfaultfd)",
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
}

using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>kcmp(2), which the kernel builds with CRIU's CONFIG_CHECKPOINT_RESTORE: whether two processes share a resource.</summary>
internal static class Kcmp
{
    private const long KCMP_FILE = 0, KCMP_VM = 1;

    /// <summary>
    /// Whether processes <paramref name="first"/> and <paramref name="second"/> share one address space (threads of one
    /// process, or a child made with CLONE_VM, as vfork and posix_spawn make it, until it runs another program); null when
    /// the kernel cannot say (one is gone, or crik may not look).
    /// </summary>
    public static bool? SameMemory(int first, int second) => Same(first, second, KCMP_VM, 0, 0);

    /// <summary>
    /// Whether descriptor <paramref name="fd"/> of process <paramref name="pid"/> is the very open file <paramref name="ownFd"/>
    /// of crik is (one taken from it, or a copy a fork made of it); null when the kernel cannot say (either descriptor or the
    /// process is gone, or crik may not look).
    /// </summary>
    public static bool? SameFileAsOwn(int ownFd, int pid, int fd) => Same(Environment.ProcessId, pid, KCMP_FILE, ownFd, fd);

    /// <summary>kcmp(<paramref name="first"/>, <paramref name="second"/>, <paramref name="type"/>, ...): whether they share it; null when the kernel cannot say.</summary>
    private static bool? Same(int first, int second, long type, long firstIndex, long secondIndex)
    {
        if (Number(RuntimeInformation.ProcessArchitecture) is not { } number)
        {
            return null;
        }
        long answer = Libc.Syscall5(number, first, second, type, firstIndex, secondIndex);
        return answer < 0 ? null : answer == 0;
    }

    private static long? Number(Architecture architecture) => architecture switch
    {
        Architecture.X64 => 312,
        Architecture.Arm64 => 272,
        _ => null,
    };
}

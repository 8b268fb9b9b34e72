using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static partial class Libc
{
    internal const int PR_SET_CHILD_SUBREAPER = 36;
    internal const int CLONE_NEWIPC = 0x08000000;

    /// <summary>execve(2): runs <paramref name="path"/> in place of this program; returns (-1, with errno) only when it could not.</summary>
    [LibraryImport(Library, EntryPoint = "execve", SetLastError = true)]
    internal static unsafe partial int Execve(byte* path, byte** argv, byte** envp);

    /// <summary>
    /// prctl(2). crik uses it only for PR_SET_CHILD_SUBREAPER. Returns 0, or -1 with errno.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>
    /// unshare(2): moves the calling thread into new namespaces. Returns 0, or -1 with errno (EPERM
    /// without CAP_SYS_ADMIN).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "unshare", SetLastError = true)]
    internal static partial int Unshare(int flags);

    /// <summary>geteuid(2): the effective user ID. Always succeeds.</summary>
    [LibraryImport(Library, EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();

    /// <summary>getegid(2): the effective group ID. Always succeeds.</summary>
    [LibraryImport(Library, EntryPoint = "getegid")]
    internal static partial uint GetEffectiveGroupId();

    /// <summary>getgroups(2): fills <paramref name="groups"/> with the supplementary group IDs (0 size: only counts them). Returns how many, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "getgroups", SetLastError = true)]
    internal static unsafe partial int GetGroups(int size, uint* groups);
}

using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

// posix_spawn(3) and its attribute calls. They return 0 or an error number (they do not set errno).
// The attribute and file-action objects are opaque; crik allocates them generously (see Spawner).
internal static unsafe partial class Libc
{
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;
    internal const short POSIX_SPAWN_SETSID = 0x80;


    [LibraryImport(Library, EntryPoint = "posix_spawnp")]
    internal static partial Errno PosixSpawnp(out int pid, byte* file, void* fileActions, void* attributes,
        byte** argv, byte** envp);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_init")]
    internal static partial Errno PosixSpawnAttrInit(void* attributes);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_destroy")]
    internal static partial Errno PosixSpawnAttrDestroy(void* attributes);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setflags")]
    internal static partial Errno PosixSpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static partial Errno PosixSpawnAttrSetSigMask(void* attributes, void* sigset);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static partial Errno PosixSpawnAttrSetSigDefault(void* attributes, void* sigset);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial Errno PosixSpawnFileActionsInit(void* fileActions);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial Errno PosixSpawnFileActionsDestroy(void* fileActions);

    /// <summary>Closes every descriptor from <paramref name="lowFd"/> up in the child (glibc 2.34+).</summary>
    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    internal static partial Errno PosixSpawnFileActionsAddCloseFrom(void* fileActions, int lowFd);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static partial Errno PosixSpawnFileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_addopen")]
    internal static partial Errno PosixSpawnFileActionsAddOpen(void* fileActions, int fd, byte* path, int flags,
        uint mode);

    /// <summary>sigemptyset(3). Returns 0, or -1.</summary>
    [LibraryImport(Library, EntryPoint = "sigemptyset")]
    internal static partial int SigEmptySet(void* sigset);

    /// <summary>sigfillset(3). Returns 0, or -1.</summary>
    [LibraryImport(Library, EntryPoint = "sigfillset")]
    internal static partial int SigFillSet(void* sigset);
}

using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

// The *at(2) calls: each resolves a name relative to a directory descriptor, so a directory that
// crik holds open cannot be swapped for a link between a check and a use.
internal static partial class Libc
{
    internal const int AT_REMOVEDIR = 0x200;

    /// <summary>openat(2). Returns a descriptor, or -1 with errno (ELOOP: a final link with O_NOFOLLOW; EEXIST with O_EXCL).</summary>
    [LibraryImport(Library, EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int OpenAt(int dirFd, string name, int flags, uint mode);

    /// <summary>mkdirat(2): creates a directory (mode masked by the umask). Returns 0, or -1 with errno (EEXIST, even for a link).</summary>
    [LibraryImport(Library, EntryPoint = "mkdirat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int MkdirAt(int dirFd, string name, uint mode);

    /// <summary>unlinkat(2): removes a name (a link itself, never its target); AT_REMOVEDIR for an empty directory. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int UnlinkAt(int dirFd, string name, int flags);

    /// <summary>symlinkat(2): makes a link named <paramref name="name"/> holding <paramref name="target"/>. Returns 0, or -1 with errno (EEXIST when the name exists).</summary>
    [LibraryImport(Library, EntryPoint = "symlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int SymlinkAt(string target, int dirFd, string name);

    /// <summary>renameat(2): moves a name (a link itself, never its target), replacing the target name atomically. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "renameat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int RenameAt(int oldDirFd, string oldName, int newDirFd, string newName);

    /// <summary>renameat2(2)'s flag: fail with EEXIST rather than replace the target name.</summary>
    internal const uint RENAME_NOREPLACE = 1;

    /// <summary>renameat2(2): renameat with flags. Returns 0, or -1 with errno (EINVAL when the file system does not support a flag).</summary>
    [LibraryImport(Library, EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int RenameAt2(int oldDirFd, string oldName, int newDirFd, string newName, uint flags);

    /// <summary>
    /// readlinkat(2): the target of a link into <paramref name="buffer"/> (not terminated). With "" as the name and an O_PATH
    /// descriptor of the link itself, the link read is the one held open. Returns the length, or -1 with errno.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "readlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial nint ReadLinkAt(int dirFd, string name, Span<byte> buffer, nuint size);
}

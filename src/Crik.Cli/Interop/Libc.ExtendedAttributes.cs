using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

// Extended attributes (user.*, ACLs as system.posix_acl_*, security.capability, ...) of an open file or directory.
internal static partial class Libc
{
    /// <summary>The most an attribute's value, or the list of names, can hold (XATTR_SIZE_MAX, XATTR_LIST_MAX).</summary>
    internal const int XattrMax = 65536;

    /// <summary>flistxattr(2): the names, each ended by a zero byte. Returns the length, or -1 with errno (EOPNOTSUPP: none on this file system).</summary>
    [LibraryImport(Library, EntryPoint = "flistxattr", SetLastError = true)]
    internal static partial nint FListXattr(int fd, Span<byte> list, nuint size);

    /// <summary>fgetxattr(2): one attribute's value. Returns its length, or -1 with errno (ENODATA: removed meanwhile).</summary>
    [LibraryImport(Library, EntryPoint = "fgetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial nint FGetXattr(int fd, string name, Span<byte> value, nuint size);

    /// <summary>fsetxattr(2): sets one attribute, made or replaced. Returns 0, or -1 with errno (EOPNOTSUPP, EPERM).</summary>
    [LibraryImport(Library, EntryPoint = "fsetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int FSetXattr(int fd, string name, ReadOnlySpan<byte> value, nuint size, int flags);

    /// <summary>fremovexattr(2). Returns 0, or -1 with errno (ENODATA: there was none).</summary>
    [LibraryImport(Library, EntryPoint = "fremovexattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int FRemoveXattr(int fd, string name);
}

using System.Runtime.InteropServices;
using System.Text;

namespace Crik.Cli.Interop;

/// <summary>
/// A file's extended attributes, read from and written to an open descriptor: its ACLs (system.posix_acl_access and _default),
/// its capabilities (security.capability), the user.* ones an app keeps. Values are kept as base64, names in ordinal order.
/// </summary>
internal static class ExtendedAttributes
{
    /// <summary>Every attribute of an open file or directory; null when it has none, or its file system keeps none.</summary>
    public static SortedDictionary<string, string>? Read(SafeHandle file, string pathForMessages)
    {
        int fd = (int)file.DangerousGetHandle();
        var buffer = new byte[Libc.XattrMax];
        nint length = Libc.FListXattr(fd, buffer, (nuint)buffer.Length);
        if (length < 0)
        {
            Errno errno = Libc.LastErrno;
            return errno == Errno.EOPNOTSUPP ? null : throw Posix.Failure($"flistxattr({pathForMessages})", errno);
        }
        var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in Encoding.UTF8.GetString(buffer, 0, (int)length).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var value = new byte[Libc.XattrMax];
            nint size = Libc.FGetXattr(fd, name, value, (nuint)value.Length);
            if (size >= 0)
            {
                attributes[name] = Convert.ToBase64String(value, 0, (int)size);
            }
            else if (Libc.LastErrno != Errno.ENODATA)
            {
                throw Posix.Failure($"fgetxattr({pathForMessages}, {name})", Libc.LastErrno);
            }
        }
        return attributes.Count > 0 ? attributes : null;
    }

    /// <summary>
    /// Sets each attribute on an open file or directory. One this file system or this container's privileges refuse
    /// (EOPNOTSUPP, EPERM) is added to <paramref name="refused"/> as "name (why)"; any other failure throws.
    /// </summary>
    public static void Write(SafeHandle file, IReadOnlyDictionary<string, string>? attributes, string pathForMessages, List<string> refused)
    {
        int fd = (int)file.DangerousGetHandle();
        foreach ((string name, string encoded) in attributes ?? new Dictionary<string, string>())
        {
            byte[] value = Convert.FromBase64String(encoded);
            if (Libc.FSetXattr(fd, name, value, (nuint)value.Length, 0) == 0)
            {
                continue;
            }
            Errno errno = Libc.LastErrno;
            if (errno is not (Errno.EOPNOTSUPP or Errno.EPERM))
            {
                throw Posix.Failure($"fsetxattr({pathForMessages}, {name})", errno);
            }
            refused.Add($"{name} ({errno.Message()})");
        }
    }
}

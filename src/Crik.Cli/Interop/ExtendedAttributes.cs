using System.Buffers;
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
        // Most files have none: the size of the list is asked first, so they cost a call and nothing else.
        nint length = Libc.FListXattr(fd, [], 0);
        if (length <= 0)
        {
            return length == 0 || Libc.LastErrno == Errno.EOPNOTSUPP ? null : throw Posix.Failure($"flistxattr({pathForMessages})", Libc.LastErrno);
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Libc.XattrMax);
        try
        {
            length = Libc.FListXattr(fd, buffer, (nuint)Libc.XattrMax);
            if (length < 0)
            {
                throw Posix.Failure($"flistxattr({pathForMessages})", Libc.LastErrno);
            }
            var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (string name in Encoding.UTF8.GetString(buffer, 0, (int)length).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                nint size = Libc.FGetXattr(fd, name, buffer, (nuint)Libc.XattrMax);
                if (size >= 0)
                {
                    attributes[name] = Convert.ToBase64String(buffer, 0, (int)size);
                }
                else if (Libc.LastErrno != Errno.ENODATA)
                {
                    throw Posix.Failure($"fgetxattr({pathForMessages}, {name})", Libc.LastErrno);
                }
            }
            return attributes.Count > 0 ? attributes : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
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

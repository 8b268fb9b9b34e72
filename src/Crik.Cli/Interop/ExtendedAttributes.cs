using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Crik.Cli.Interop;

/// <summary>
/// A file's extended attributes, as crik keeps them, read from and written to an open descriptor: the user.* ones an app keeps,
/// its ACLs (system.posix_acl_access, and a directory's default one) and its capabilities (security.capability). A security
/// module's labels (security.selinux, SMACK's, IMA's) are the node's and the pod's: a new pod has its own, which a put-back must
/// not replace. Values are kept as base64, names in ordinal order.
/// </summary>
internal static class ExtendedAttributes
{
    public const string AccessAcl = "system.posix_acl_access", DefaultAcl = "system.posix_acl_default", Capability = "security.capability";

    /// <summary>Whether crik keeps an attribute of this name (see <see cref="ExtendedAttributes"/>).</summary>
    public static bool Kept(string name) => name.StartsWith("user.", StringComparison.Ordinal) || name is AccessAcl or DefaultAcl or Capability;

    /// <summary>
    /// The attributes crik keeps of an open file or directory; null when it has none, or its file system keeps none. One that
    /// cannot be read (a name that is not UTF-8, a value gone too large) is left out, and noted in <paramref name="skipped"/>.
    /// </summary>
    public static SortedDictionary<string, string>? Read(SafeHandle file, string pathForMessages, List<string> skipped)
    {
        int fd = (int)file.DangerousGetHandle();
        // Most files have none: the size of the list is asked first, so they cost a call and nothing else.
        nint length = Libc.FListXattr(fd, [], 0);
        if (length <= 0)
        {
            return length == 0 || Libc.LastErrno == Errno.EOPNOTSUPP ? null : NotListed(pathForMessages, skipped);
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Libc.XattrMax);
        try
        {
            length = Libc.FListXattr(fd, buffer, (nuint)Libc.XattrMax);
            if (length < 0)
            {
                return NotListed(pathForMessages, skipped);
            }
            var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (string name in Names(buffer.AsSpan(0, (int)length), pathForMessages, skipped).Where(Kept))
            {
                nint size = Libc.FGetXattr(fd, name, buffer, (nuint)Libc.XattrMax);
                if (size >= 0)
                {
                    attributes[name] = Convert.ToBase64String(buffer, 0, (int)size);
                }
                else if (Libc.LastErrno != Errno.ENODATA)
                {
                    skipped.Add($"{pathForMessages}: {name} ({Libc.LastErrno.Message()})");
                }
            }
            return attributes.Count > 0 ? attributes : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static SortedDictionary<string, string>? NotListed(string pathForMessages, List<string> skipped)
    {
        skipped.Add($"{pathForMessages}: its attributes could not be listed ({Libc.LastErrno.Message()})");
        return null;
    }

    private static List<string> Names(ReadOnlySpan<byte> list, string pathForMessages, List<string> skipped)
    {
        var names = new List<string>();
        foreach (Range range in list.Split((byte)0))
        {
            ReadOnlySpan<byte> name = list[range];
            if (name.IsEmpty)
            {
                continue;
            }
            if (Utf8.IsValid(name))
            {
                names.Add(Encoding.UTF8.GetString(name));
            }
            else
            {
                skipped.Add($"{pathForMessages}: an attribute whose name is not UTF-8");
            }
        }
        return names;
    }

    /// <summary>
    /// Sets each attribute kept on an open file or directory, and removes the ACLs it did not have (a file made in a directory
    /// with a default ACL has one from it). Any the node refuses (its file system keeps none, this container may not set it,
    /// a value too large here) is added to <paramref name="refused"/> as "name (why)", and the rest go on. Returns whether the
    /// access ACL saved, if any, was set.
    /// </summary>
    public static bool Write(SafeHandle file, IReadOnlyDictionary<string, string>? attributes, bool directory, List<string> refused)
    {
        int fd = (int)file.DangerousGetHandle();
        bool accessAclSet = true;
        foreach ((string name, string? encoded) in attributes ?? new Dictionary<string, string>())
        {
            byte[]? value = Decoded(encoded);
            string? why = !Kept(name) ? "not one crik puts back"
                : value is null ? "its value in the manifest is not base64"
                : Libc.FSetXattr(fd, name, value, (nuint)value.Length, 0) != 0 ? Libc.LastErrno.Message() : null;
            if (why is not null)
            {
                refused.Add($"{name} ({why})");
                accessAclSet &= name != AccessAcl;
            }
        }
        foreach (string acl in directory ? (string[])[AccessAcl, DefaultAcl] : [AccessAcl])
        {
            if (attributes?.ContainsKey(acl) != true && Libc.FRemoveXattr(fd, acl) != 0 && Libc.LastErrno is not (Errno.ENODATA or Errno.EOPNOTSUPP))
            {
                refused.Add($"{acl}, which it did not have, stays ({Libc.LastErrno.Message()})");
            }
        }
        return accessAclSet;
    }

    /// <summary>
    /// The permissions an access ACL gives the owning group (its group entry within its mask), as the mode's group bits; null when
    /// it cannot be read. Without the ACL, these, not the mask the mode's group bits hold with it, are the group's.
    /// </summary>
    public static int? GroupBitsOf(string? encodedAcl)
    {
        if (Decoded(encodedAcl) is not { Length: >= 4 } acl || (acl.Length - 4) % 8 != 0)
        {
            return null;
        }
        int size = acl.Length;
        int? group = null, mask = null;
        for (int entry = 4; entry < size; entry += 8)
        {
            int tag = BinaryPrimitives.ReadUInt16LittleEndian(acl.AsSpan(entry)), permissions = BinaryPrimitives.ReadUInt16LittleEndian(acl.AsSpan(entry + 2)) & 7;
            (group, mask) = tag switch
            {
                0x04 => (permissions, mask),
                0x10 => (group, permissions),
                _ => (group, mask),
            };
        }
        return group & (mask ?? 7);
    }

    /// <summary>An attribute's value as the manifest keeps it (base64); null when it is missing or not base64.</summary>
    private static byte[]? Decoded(string? encoded)
    {
        var value = new byte[encoded?.Length ?? 0];
        return encoded is not null && Convert.TryFromBase64String(encoded, value, out int size) ? value[..size] : null;
    }
}

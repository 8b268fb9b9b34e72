using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

// A link in a directory crik holds open, read without following it.
internal sealed partial class DirectoryHandle
{
    /// <summary>Longer than any link's target (PATH_MAX counts the terminating zero, which readlink does not write).</summary>
    private const int PathMax = 4096;

    /// <summary>
    /// A link's target and its own status (its owner), both read from one descriptor of the link itself (O_PATH), so a link
    /// swapped for another between the two reads cannot mix them; null when the name is missing or is not a link.
    /// </summary>
    public (string Target, FileStatus Status)? ReadLink(string name)
    {
        int fd = Libc.OpenAt(Fd, name, OpenFlags.PathOnly | OpenFlags.NoFollow | OpenFlags.CloseOnExec, 0);
        if (fd < 0)
        {
            Errno errno = Libc.LastErrno;
            return errno is Errno.ENOENT or Errno.ENOTDIR ? null : throw Posix.Failure($"open({PathOf(name)})", errno);
        }
        using var link = new SafeFileHandle(fd, ownsHandle: true);
        FileStatus status = FileStatus.Read(fd);
        if (status.Kind != FileKind.SymbolicLink)
        {
            return null;
        }
        var target = new byte[PathMax];
        nint length = Libc.ReadLinkAt(fd, "", target, (nuint)target.Length);
        return length >= 0 ? (Encoding.UTF8.GetString(target, 0, (int)length), status) : throw Posix.Failure($"readlink({PathOf(name)})", Libc.LastErrno);
    }
}

namespace Crik.Cli.Interop;

// A rename that never replaces what is at its target.
internal sealed partial class DirectoryHandle
{
    /// <summary>
    /// Moves a name into <paramref name="to"/> unless <paramref name="newName"/> exists there (as anything, a link
    /// included): then false, and nothing moved. One renameat2(RENAME_NOREPLACE), atomic. A file system without
    /// that flag (EINVAL: NFS, some FUSE) gets a look at the name first and then a plain rename, which a writer in
    /// between could race: there the caller's lock is what keeps other writers out.
    /// </summary>
    public bool RenameNoReplace(string name, DirectoryHandle to, string newName)
    {
        if (Libc.RenameAt2(Fd, name, to.Fd, newName, Libc.RENAME_NOREPLACE) == 0)
        {
            return true;
        }
        Errno errno = Libc.LastErrno;
        if (errno == Errno.EEXIST)
        {
            return false;
        }
        if (errno is not (Errno.EINVAL or Errno.ENOSYS))
        {
            throw Posix.Failure($"renameat2({PathOf(name)} to {to.PathOf(newName)}, RENAME_NOREPLACE)", errno);
        }
        if (to.Stat(newName) is not null)
        {
            return false;
        }
        Rename(name, to, newName);
        return true;
    }
}

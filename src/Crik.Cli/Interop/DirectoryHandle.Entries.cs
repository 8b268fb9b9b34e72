namespace Crik.Cli.Interop;

// Moving, removing and flushing names in a directory crik holds open. Links are moved or removed
// themselves, never what they point to.
internal sealed partial class DirectoryHandle
{
    /// <summary>Moves a name into <paramref name="to"/> (atomically replacing <paramref name="newName"/> there).</summary>
    public void Rename(string name, DirectoryHandle to, string newName)
    {
        if (Libc.RenameAt(Fd, name, to.Fd, newName) != 0)
        {
            throw Posix.Failure($"rename({PathOf(name)} to {to.PathOf(newName)})", Libc.LastErrno);
        }
    }

    /// <summary>
    /// Renames <paramref name="name"/> over <paramref name="newName"/> in this directory, unless <paramref name="newName"/>
    /// is a mount point (a file bind-mounted there), which no rename replaces: then false, and nothing moved.
    /// </summary>
    public bool RenameOverUnlessMounted(string name, string newName)
    {
        if (Libc.RenameAt(Fd, name, Fd, newName) == 0)
        {
            return true;
        }
        Errno errno = Libc.LastErrno;
        return errno == Errno.EBUSY ? false : throw Posix.Failure($"rename({PathOf(name)} to {PathOf(newName)})", errno);
    }

    /// <summary>Removes a file or link (not a directory); false when it was not there.</summary>
    public bool DeleteFile(string name)
    {
        if (Libc.UnlinkAt(Fd, name, 0) == 0)
        {
            return true;
        }
        Errno errno = Libc.LastErrno;
        return errno == Errno.ENOENT ? false : throw Posix.Failure($"unlink({PathOf(name)})", errno);
    }

    /// <summary>Makes a symbolic link named <paramref name="name"/> pointing to <paramref name="target"/>; fails when the name exists.</summary>
    public void CreateSymbolicLink(string name, string target)
    {
        if (Libc.SymlinkAt(target, Fd, name) != 0)
        {
            throw Posix.Failure($"symlink({PathOf(name)})", Libc.LastErrno);
        }
    }

    /// <summary>
    /// How deep <see cref="DeleteTree(string)"/> goes: a tree planted deeper on a shared volume must not run
    /// crik out of stack (which no handler catches); it is refused with an IOException instead.
    /// </summary>
    public const int MaxTreeDepth = 1000;

    /// <summary>Removes a name and, when it is a real directory, everything below it; links are removed, never followed.</summary>
    public void DeleteTree(string name) => DeleteTree(name, 0);

    private void DeleteTree(string name, int depth)
    {
        if (depth > MaxTreeDepth)
        {
            throw new IOException($"{PathOf(name)} is nested more than {MaxTreeDepth} directories deep; crik does not delete such a tree");
        }
        FileStatus? status = Stat(name);
        if (status is null)
        {
            return;
        }
        if (status.Value.Kind == FileKind.Directory)
        {
            using (DirectoryHandle? directory = TryOpenDirectory(name))
            {
                foreach (string child in directory?.Names() ?? [])
                {
                    directory!.DeleteTree(child, depth + 1);
                }
            }
            if (Libc.UnlinkAt(Fd, name, Libc.AT_REMOVEDIR) != 0 && Libc.LastErrno != Errno.ENOENT)
            {
                throw Posix.Failure($"rmdir({PathOf(name)})", Libc.LastErrno);
            }
            return;
        }
        DeleteFile(name);
    }

    /// <summary>fsync on this directory, so that new, renamed or removed names in it survive a crash.</summary>
    public void Sync()
    {
        if (Libc.Fsync(Fd) != 0)
        {
            throw Posix.Failure($"fsync({Path})", Libc.LastErrno);
        }
    }

    /// <summary>Flushes the whole file system that holds this directory, then the directory itself.</summary>
    public void SyncFileSystemAndSelf()
    {
        if (Libc.SyncFs(Fd) != 0)
        {
            throw Posix.Failure($"syncfs({Path})", Libc.LastErrno);
        }
        Sync();
    }

    /// <summary>
    /// Makes everything below this directory private: 0700 directories and 0600 files (CRIU creates
    /// its images with the process umask). Links are left alone: crik never follows them.
    /// </summary>
    public void MakeContentsPrivate()
    {
        SetMode(PrivateDirectory);
        foreach (string name in Names())
        {
            FileStatus? status = Stat(name);
            if (status?.Kind == FileKind.Directory)
            {
                using DirectoryHandle? directory = TryOpenDirectory(name);
                directory?.MakeContentsPrivate();
            }
            else if (status?.Kind == FileKind.Regular)
            {
                using var file = TryOpenFile(name);
                if (file is not null)
                {
                    SetMode(file, PrivateFile);
                }
            }
        }
    }
}

using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>
/// A directory crik holds open. Everything below it is reached relative to the descriptor with
/// O_NOFOLLOW, so a symbolic link planted on a shared volume is refused, never followed, and the
/// directory cannot be swapped between a check and a use. What crik creates is private (0700
/// directories, 0600 files) whatever the umask.
/// </summary>
internal sealed partial class DirectoryHandle : SafeHandleMinusOneIsInvalid
{
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private DirectoryHandle(int fd, string path) : base(ownsHandle: true)
    {
        SetHandle(fd);
        Path = path;
    }

    /// <summary>Where this directory is, for messages only: it is never opened by this path again.</summary>
    public string Path { get; }

    /// <summary>A path that reaches exactly this directory (for a child process such as CRIU), whatever happens to its name.</summary>
    public string ProcPath => $"/proc/{Environment.ProcessId}/fd/{Fd}";

    internal int Fd => (int)handle;

    /// <summary>
    /// Opens a configured directory (its own path may go through links an administrator made),
    /// creating it private when it does not exist.
    /// </summary>
    public static DirectoryHandle OpenOrCreate(string path)
    {
        string parent = System.IO.Path.GetDirectoryName(path) ?? "/";
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(parent);
            using DirectoryHandle above = new(Check(Libc.Open(parent, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.CloseOnExec, 0), parent), parent);
            return above.OpenOrCreateDirectory(System.IO.Path.GetFileName(path));
        }
        return new DirectoryHandle(Check(Libc.Open(path, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.CloseOnExec, 0), path), path);
    }

    /// <summary>The named subdirectory, made private (0700) when crik creates it; a link or a file there is refused.</summary>
    public DirectoryHandle OpenOrCreateDirectory(string name)
    {
        bool created = Libc.MkdirAt(Fd, name, (uint)PrivateDirectory) == 0;
        if (!created && Libc.LastErrno != Errno.EEXIST)
        {
            throw Posix.Failure($"mkdir({PathOf(name)})", Libc.LastErrno);
        }
        DirectoryHandle directory = TryOpenDirectory(name) ?? throw Posix.Failure($"open({PathOf(name)})", Errno.ENOENT);
        if (created)
        {
            directory.SetMode(PrivateDirectory);
        }
        return directory;
    }

    /// <summary>
    /// The named subdirectory, made as mkdir -p makes it (0777 less the umask) when missing: a
    /// directory outside the image directory, on the way to a file put back. A link or a file there is refused.
    /// </summary>
    public DirectoryHandle OpenOrMakeDirectory(string name)
    {
        if (Libc.MkdirAt(Fd, name, 0x1ff) != 0 && Libc.LastErrno != Errno.EEXIST)
        {
            throw Posix.Failure($"mkdir({PathOf(name)})", Libc.LastErrno);
        }
        return TryOpenDirectory(name) ?? throw Posix.Failure($"open({PathOf(name)})", Errno.ENOENT);
    }

    /// <summary>A new private subdirectory; fails when the name exists (as anything, a link included).</summary>
    public DirectoryHandle CreateDirectory(string name)
    {
        if (Libc.MkdirAt(Fd, name, (uint)PrivateDirectory) != 0)
        {
            throw Posix.Failure($"mkdir({PathOf(name)})", Libc.LastErrno);
        }
        DirectoryHandle directory = TryOpenDirectory(name) ?? throw Posix.Failure($"open({PathOf(name)})", Errno.ENOENT);
        directory.SetMode(PrivateDirectory);
        return directory;
    }

    /// <summary>The named subdirectory, or null when there is none; a link or anything but a directory is refused.</summary>
    public DirectoryHandle? TryOpenDirectory(string name)
    {
        int fd = Libc.OpenAt(Fd, name, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow | OpenFlags.CloseOnExec, 0);
        if (fd >= 0)
        {
            return new DirectoryHandle(fd, PathOf(name));
        }
        Errno errno = Libc.LastErrno;
        return errno == Errno.ENOENT ? null : throw Refusal(name, errno, "a directory");
    }

    /// <summary>A new private file (0600) to write; fails when the name exists, a planted link included.</summary>
    public SafeFileHandle CreateFile(string name)
    {
        int fd = Libc.OpenAt(Fd, name, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.NoFollow | OpenFlags.CloseOnExec, (uint)PrivateFile);
        if (fd < 0)
        {
            throw Refusal(name, Libc.LastErrno, "a new file");
        }
        var file = new SafeFileHandle(fd, ownsHandle: true);
        SetMode(file, PrivateFile);
        return file;
    }

    /// <summary>The named file opened for reading and writing, created private when missing; a link is refused.</summary>
    public SafeFileHandle OpenOrCreateFile(string name)
    {
        int fd = Libc.OpenAt(Fd, name, OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.NoFollow | OpenFlags.CloseOnExec
            | OpenFlags.NonBlocking | OpenFlags.NoControllingTerminal, (uint)PrivateFile);
        return fd >= 0 ? RegularFile(fd, name) : throw Refusal(name, Libc.LastErrno, "a file");
    }

    /// <summary>Wraps an opened descriptor, or closes it and refuses when it is not a regular file (a FIFO, a device).</summary>
    private SafeFileHandle RegularFile(int fd, string name)
    {
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        FileKind kind = FileStatus.Read(fd).Kind;
        if (kind == FileKind.Regular)
        {
            return handle;
        }
        handle.Dispose();
        throw new UnsafeEntryException($"{PathOf(name)} is {Describe(kind)} where crik expects a file; crik never uses it: remove it");
    }

    /// <summary>The named file opened for reading, or null when there is none; a link is refused.</summary>
    /// <param name="forWriting">Opened for writing too.</param>
    public SafeFileHandle? TryOpenFile(string name, bool forWriting = false)
    {
        // Non-blocking, so that a FIFO planted under this name cannot hang crik in open(2).
        int fd = Libc.OpenAt(Fd, name, (forWriting ? OpenFlags.ReadWrite : OpenFlags.ReadOnly) | OpenFlags.NoFollow | OpenFlags.CloseOnExec
            | OpenFlags.NonBlocking | OpenFlags.NoControllingTerminal, 0);
        if (fd >= 0)
        {
            return RegularFile(fd, name);
        }
        Errno errno = Libc.LastErrno;
        return errno == Errno.ENOENT ? null : throw Refusal(name, errno, "a file");
    }

    /// <summary>The status of a name in this directory, never following a link; null when there is none.</summary>
    public FileStatus? Stat(string name) => FileStatus.TryReadAt(Fd, name);

    /// <summary>The status of this directory itself.</summary>
    public FileStatus Stat() => FileStatus.Read(Fd);

    /// <summary>The names in this directory (not . and ..), read through the descriptor.</summary>
    public List<string> Names() =>
        Directory.EnumerateFileSystemEntries(ProcPath).Select(p => System.IO.Path.GetFileName(p)).ToList();

    public string PathOf(string name) => Path.EndsWith('/') ? Path + name : Path + "/" + name;

    /// <summary>Sets this directory's mode, whatever the umask.</summary>
    public void SetMode(UnixFileMode mode)
    {
        if (Libc.Fchmod(Fd, (uint)mode) != 0)
        {
            throw Posix.Failure($"chmod({Path})", Libc.LastErrno);
        }
    }

    /// <summary>Sets an open file's mode, whatever the umask.</summary>
    public static void SetMode(SafeFileHandle file, UnixFileMode mode)
    {
        if (Libc.Fchmod((int)file.DangerousGetHandle(), (uint)mode) != 0)
        {
            throw Posix.Failure("fchmod", Libc.LastErrno);
        }
    }

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;

    private IOException Refusal(string name, Errno errno, string expected)
    {
        FileKind? kind = errno is Errno.ELOOP or Errno.ENOTDIR or Errno.EEXIST ? Stat(name)?.Kind : null;
        return kind switch
        {
            FileKind.SymbolicLink => new UnsafeEntryException(
                $"{PathOf(name)} is a symbolic link where crik expects {expected}; crik never follows links in its image directory: remove it"),
            FileKind k when errno != Errno.EEXIST => new UnsafeEntryException(
                $"{PathOf(name)} is {Describe(k)} where crik expects {expected}: remove it"),
            _ => Posix.Failure($"open({PathOf(name)})", errno),
        };
    }

    /// <summary>A file kind in words, e.g. "a regular file".</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Fifo => "a FIFO",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => "a file of unknown kind",
    };

    private static int Check(int fd, string path) => fd >= 0 ? fd : throw Posix.Failure($"open({path})", Libc.LastErrno);
}

using Crik.Cli.Interop;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A volume's image directory as crik reaches it: its handle, opened (and created private) on first use, and every key below it
/// reached from that handle one name at a time, never through a link; modes made private, or one warning that they could not be.
/// </summary>
/// <param name="readOnly">Only read (crik images): nothing is created or tightened.</param>
internal sealed class VolumeDirectory(string imageDir, ILogger log, bool readOnly) : IDisposable
{
    private readonly Lock _opening = new();
    private volatile DirectoryHandle? _root;
    private int _warnedAboutModes;

    /// <summary>The image directory, opened (and created private) on first use; a planted link in it is refused.</summary>
    public DirectoryHandle Root => _root ?? OpenOnce();

    /// <summary>
    /// The file system the image directory is on (statfs's f_type), read once when it is opened, while it answers; null before
    /// that, or when it could not be read.
    /// </summary>
    public long? FileSystem => _root is null ? null : _fileSystem;

    private long? _fileSystem;

    public void Dispose() => _root?.Dispose();

    /// <summary>The directory holding <paramref name="location"/> (a handle of its own) and the name in it.</summary>
    public (DirectoryHandle Parent, string Name) Parent(string location, bool create = false)
    {
        int slash = location.IndexOf('/');
        if (slash < 0)
        {
            return (Root.OpenOrCreateDirectory("."), location);
        }
        string subdirectory = location[..slash];
        DirectoryHandle parent = create ? Root.OpenOrCreateDirectory(subdirectory)
            : Root.TryOpenDirectory(subdirectory) ?? throw new IOException($"{Root.PathOf(subdirectory)} vanished");
        return (parent, location[(slash + 1)..]);
    }

    /// <summary>A path's directory part ("" for the image directory itself) and its last name.</summary>
    public static (string Directory, string Name) Split(string path) =>
        path.LastIndexOf('/') is var slash and >= 0 ? (path[..slash], path[(slash + 1)..]) : ("", path);

    /// <summary>
    /// A directory below the image directory ("" is the image directory), a handle of its own, reached one name
    /// at a time: null when a name on the way is absent (or, with <paramref name="onlyDirectories"/>, anything but
    /// a directory); otherwise a link or a file on the way is refused.
    /// </summary>
    public DirectoryHandle? TryOpenBelow(string directory, bool onlyDirectories = false)
    {
        string[] parts = directory.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return Root.OpenOrCreateDirectory(".");
        }
        DirectoryHandle? current = null;
        foreach (string part in parts)
        {
            DirectoryHandle above = current ?? Root;
            DirectoryHandle? next;
            try
            {
                next = onlyDirectories && above.Stat(part) is not { Kind: FileKind.Directory } ? null : above.TryOpenDirectory(part);
            }
            finally
            {
                current?.Dispose();
            }
            if (next is null)
            {
                return null;
            }
            current = next;
        }
        return current;
    }

    private DirectoryHandle OpenOnce()
    {
        lock (_opening)
        {
            return _root ?? Open();
        }
    }

    private DirectoryHandle Open()
    {
        var root = DirectoryHandle.OpenOrCreate(imageDir);
        try
        {
            foreach (string name in new[] { StoreLayout.LogDir, StoreLayout.SetAsideDir, StoreLayout.RetiredDir, StoreLayout.PacksDir, StoreLayout.RestoresDir })
            {
                // Refuses a link or a file where crik keeps a directory; tightens one an older crik made 0755.
                using DirectoryHandle? existing = root.TryOpenDirectory(name);
                if (existing is not null && !readOnly)
                {
                    Tighten(existing.Path, () => existing.SetMode(DirectoryHandle.PrivateDirectory));
                }
            }
            if (root.Stat(StoreLayout.LockFile) is { Kind: not FileKind.Regular } lockStatus)
            {
                throw new UnsafeEntryException(lockStatus.Kind == FileKind.SymbolicLink
                    ? $"{root.PathOf(StoreLayout.LockFile)} is a symbolic link; crik never follows links in its image directory: remove it"
                    : $"{root.PathOf(StoreLayout.LockFile)} is {DirectoryHandle.Describe(lockStatus.Kind)}, not crik's lock file: remove it");
            }
        }
        catch
        {
            root.Dispose();
            throw;
        }
        _fileSystem = FileSystemType.Of(root);
        return _root = root; // volatile: a thread that sees the root sees its file system
    }

    /// <summary>Makes modes private, or warns once that it could not: private modes protect, but their absence costs no checkpoint.</summary>
    public void Tighten(string path, Action tighten)
    {
        if (readOnly)
        {
            return;
        }
        try
        {
            tighten();
        }
        catch (Exception e) when (e is (IOException and not UnsafeEntryException) or UnauthorizedAccessException)
        {
            if (Interlocked.Exchange(ref _warnedAboutModes, 1) == 0)
            {
                log.Warning("Could not make everything in {Path} private ({Error}); crik goes on. Check the volume's permissions "
                    + "(an immutable file, or a file system that refuses chmod)", path, e.Message);
            }
        }
    }
}

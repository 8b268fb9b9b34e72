using Crik.Cli.Interop;
using Crik.Cli.Records;
using Microsoft.Win32.SafeHandles;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The files crik handles around a dump: additionalPaths saved and put back (with raw descriptors:
/// no lock is taken, so a file the app holds flock'ed is copied all the same; owner, group, mode
/// and times are kept), inotify paths deleted.
/// </summary>
internal static class AppFiles
{
    public const string ExtraFilesDir = StoreLayout.ExtraFilesDir;

    /// <summary>
    /// Deletes each path (a file, a link or a directory with everything in it); missing ones are fine. Each is reached through
    /// real directories or root's own links (<see cref="AppPathWalk"/>), and a link is removed, never followed.
    /// </summary>
    public static void DeleteInotifyIncompatible(IEnumerable<string> paths, ILogger log)
    {
        foreach (string path in paths)
        {
            using DirectoryHandle? parent = AppPathWalk.TryOpenParentOf(Path.GetFullPath(path), "delete", out string name);
            if (parent?.Stat(name) is null)
            {
                continue;
            }
            parent.DeleteTree(name);
            log.Debug("Deleted {Path} before the dump (inotifyIncompatiblePaths)", path);
        }
    }

    /// <summary>
    /// Copies each existing path to the staging directory's extra-files/PATH; returns what the manifest records of them. What
    /// is neither a file, a directory nor a link (a FIFO, a socket, a device) is not saved, and <paramref name="log"/> says so.
    /// Each path is reached through real directories or root's own links (<see cref="AppPathWalk"/>), and what is below it one
    /// name at a time from the directory before: a link is saved as a link, never followed.
    /// </summary>
    public static List<SavedFile> Save(IEnumerable<string> paths, StagingCheckpoint staging, ILogger log)
    {
        var saved = new List<SavedFile>();
        using DirectoryHandle extra = staging.Directory.OpenOrCreateDirectory(ExtraFilesDir);
        foreach (string path in paths.Select(Path.GetFullPath))
        {
            using DirectoryHandle? parent = AppPathWalk.TryOpenParentOf(path, "save", out string name);
            if (parent is not null)
            {
                SaveEntry(parent, name, path, extra, saved, log, depth: 0);
            }
        }
        return saved;
    }

    /// <summary>
    /// Copies exactly these directories (their entries alone, not what is in them) and regular files
    /// to the staging directory's extra-files/PATH; returns what the manifest records of them.
    /// </summary>
    public static List<SavedFile> SaveExactly(IEnumerable<string> directories, IEnumerable<string> files, StagingCheckpoint staging)
    {
        var saved = new List<SavedFile>();
        using DirectoryHandle extra = staging.Directory.OpenOrCreateDirectory(ExtraFilesDir);
        foreach (string path in directories)
        {
            using DirectoryHandle? parent = AppPathWalk.TryOpenParentOf(path, "save", out string name);
            using DirectoryHandle? directory = parent?.Stat(name) is { Kind: FileKind.Directory } ? parent.TryOpenDirectory(name) : null;
            if (directory is not null)
            {
                saved.Add(Describe(path, directory.Stat(), directory) with { Kind = SavedFile.Directory });
            }
        }
        foreach (string path in files)
        {
            using DirectoryHandle? parent = AppPathWalk.TryOpenParentOf(path, "save", out string name);
            if (parent?.Stat(name) is { Kind: FileKind.Regular })
            {
                saved.Add(SaveFile(parent, name, path, extra));
            }
        }
        return saved;
    }

    /// <summary>
    /// Puts each saved path back where it was, with its owner, group, mode, times and extended attributes; returns the attributes
    /// this node refused, as "PATH: name (why)" (<see cref="SavedFiles.ApplySaved"/>).
    /// </summary>
    /// <param name="volume">The volume's side on this node, which every read of the generation's copies goes through.</param>
    public static IReadOnlyList<string> PutBack(Manifest manifest, RestoreAttempt attempt, Backends.INodeDirectories volume) =>
        PutBack(manifest, attempt.Directory, volume);

    /// <summary>Puts each saved path back from the copies in <paramref name="saved"/>/extra-files/; returns the attributes refused.</summary>
    /// <param name="savedOn">
    /// The store's side the copies are on, whose reads go through it so that its failures are told apart as every read's are
    /// (a disk's from a network's); null for a scratch directory of this node's. Writes, to the app's paths, never do.
    /// </param>
    public static IReadOnlyList<string> PutBack(Manifest manifest, DirectoryHandle saved, Backends.INodeDirectories? savedOn = null)
    {
        using DirectoryHandle? extra = ReadSaved(savedOn, () => saved.TryOpenDirectory(ExtraFilesDir));
        var refused = new List<string>();
        if (extra is null)
        {
            return refused;
        }
        Func<Func<int>, int>? readCopy = savedOn is null ? null : read => savedOn.ReadLocalFiles(read);
        var directories = new List<SavedFile>();
        foreach (SavedFile entry in manifest.ExtraFiles ?? ReadSaved(savedOn, () => SavedFiles.Inventory(extra)))
        {
            switch (entry.Kind)
            {
                case SavedFile.Directory:
                    PutBackRefusedException.AtTheAppsPath(() => AppPathWalk.OpenOrMake(entry.Path).Dispose());
                    directories.Add(entry);
                    break;
                case SavedFile.Link:
                    PutBackRefusedException.AtTheAppsPath(() => SavedFiles.PutBackLink(entry));
                    break;
                case SavedFile.File:
                    using (SafeFileHandle? copy = ReadSaved(savedOn, () => FileDigest.OpenRelative(extra, entry.Path.TrimStart('/'))))
                    {
                        if (copy is not null)
                        {
                            SavedFiles.PutBackFile(entry, copy, readCopy, refused);
                        }
                    }
                    break;
            }
        }
        // A directory's times change as entries are made in it: set them last, innermost first.
        foreach (SavedFile directory in Enumerable.Reverse(directories))
        {
            using DirectoryHandle handle = PutBackRefusedException.AtTheAppsPath(() => AppPathWalk.OpenOrMake(directory.Path));
            SavedFiles.ApplySaved(handle, directory, refused);
        }
        return refused;
    }

    private static T ReadSaved<T>(Backends.INodeDirectories? savedOn, Func<T> read) => savedOn is null ? read() : savedOn.ReadLocalFiles(read);

    private static void SaveEntry(DirectoryHandle parent, string name, string path, DirectoryHandle extra, List<SavedFile> saved, ILogger log, int depth)
    {
        if (parent.Stat(name) is not { } status)
        {
            return;
        }
        switch (status.Kind)
        {
            case FileKind.SymbolicLink:
                (string target, FileStatus link) = parent.ReadLink(name) ?? throw ChangedWhileSaved(path);
                saved.Add(Describe(path, link, opened: null) with { Kind = SavedFile.Link, LinkTarget = target });
                break;
            case FileKind.Directory:
                SaveDirectory(parent, name, path, extra, saved, log, depth);
                break;
            case FileKind.Regular:
                saved.Add(SaveFile(parent, name, path, extra));
                break;
            default:
                log.Warning("additionalPaths: {Path} is {Kind}, which crik does not save (only files, directories and links): a restore "
                    + "does not bring it back", path, DirectoryHandle.Describe(status.Kind));
                break;
        }
    }

    /// <summary>A directory's entry, and everything in it, each name read through the directory's own descriptor.</summary>
    /// <remarks>
    /// A tree nested deeper than <see cref="DirectoryHandle.MaxTreeDepth"/> is refused with an IOException (the checkpoint fails,
    /// and the app runs on): one planted on a shared volume must not run crik out of stack, which ends PID 1.
    /// </remarks>
    private static void SaveDirectory(DirectoryHandle parent, string name, string path, DirectoryHandle extra, List<SavedFile> saved, ILogger log, int depth)
    {
        if (depth >= DirectoryHandle.MaxTreeDepth)
        {
            throw new IOException($"{path} is nested more than {DirectoryHandle.MaxTreeDepth} directories deep below the path in additionalPaths; "
                + "crik does not save such a tree: name a shallower path");
        }
        using DirectoryHandle directory = parent.TryOpenDirectory(name) ?? throw ChangedWhileSaved(path);
        saved.Add(Describe(path, directory.Stat(), directory) with { Kind = SavedFile.Directory });
        extra.OpenOrCreateBelow(path.Split('/', StringSplitOptions.RemoveEmptyEntries)).Dispose();
        string prefix = path.TrimEnd('/');
        foreach (string child in directory.Names().Order(StringComparer.Ordinal))
        {
            SaveEntry(directory, child, $"{prefix}/{child}", extra, saved, log, depth + 1);
        }
    }

    private static IOException ChangedWhileSaved(string path) =>
        new($"{path} changed as crik saved it (replaced or removed by a process that is not the app's, which is stopped)");

    /// <param name="opened">The file or directory itself, whose extended attributes are kept; null for a link.</param>
    private static SavedFile Describe(string path, FileStatus status, System.Runtime.InteropServices.SafeHandle? opened) =>
        new(path, "", (int)status.Mode, status.Uid, status.Gid, status.Accessed, status.Modified,
            Attributes: opened is null ? null : ExtendedAttributes.Read(opened, path));

    /// <summary>
    /// Copies a regular file's contents to extra-files/PATH (a private copy; owner, mode, times and extended attributes go in the
    /// manifest, as returned), all read from the descriptor it was copied from.
    /// </summary>
    private static SavedFile SaveFile(DirectoryHandle parent, string name, string path, DirectoryHandle extra)
    {
        using DirectoryHandle copyParent = extra.OpenOrCreateParent(path.TrimStart('/'), out string copyName);
        // Non-blocking, and checked once open: a FIFO put in the file's place cannot hang the checkpoint.
        using SafeFileHandle source = UnlockedFile.OpenIn(parent, name, OpenFlags.ReadOnly | OpenFlags.NonBlocking);
        FileStatus before = FileStatus.Read((int)source.DangerousGetHandle());
        if (before.Kind != FileKind.Regular)
        {
            throw new IOException($"{path} is no longer a regular file; crik copies only regular files");
        }
        copyParent.DeleteFile(copyName);
        using (SafeFileHandle copy = copyParent.CreateFile(copyName))
        {
            SavedFiles.CopyContents(source, copy);
        }
        // What guards the file (owner, mode, capabilities, ACLs) is read once its contents are copied: a write by another process
        // meanwhile, which makes the kernel drop set-ID bits and capabilities, is seen. Its access time is the one before crik read it.
        FileStatus after = FileStatus.Read((int)source.DangerousGetHandle());
        return Describe(path, after with { Accessed = before.Accessed }, source) with { Kind = SavedFile.File };
    }
}

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

    /// <summary>Deletes each path (file or directory); missing ones are fine.</summary>
    public static void DeleteInotifyIncompatible(IEnumerable<string> paths, ILogger log)
    {
        foreach (string path in paths)
        {
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
            {
                File.Delete(path);
            }
            else
            {
                continue;
            }
            log.Debug("Deleted {Path} before the dump (inotifyIncompatiblePaths)", path);
        }
    }

    /// <summary>
    /// Copies each existing path to the staging directory's extra-files/PATH; returns what the manifest records of them. What
    /// is neither a file, a directory nor a link (a FIFO, a socket, a device) is not saved, and <paramref name="log"/> says so.
    /// </summary>
    public static List<SavedFile> Save(IEnumerable<string> paths, StagingCheckpoint staging, ILogger log)
    {
        var saved = new List<SavedFile>();
        using DirectoryHandle extra = staging.Directory.OpenOrCreateDirectory(ExtraFilesDir);
        foreach (string path in paths)
        {
            SaveEntry(Path.GetFullPath(path), extra, saved, log);
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
            if (FileStatus.TryRead(path) is { Kind: FileKind.Directory } status)
            {
                saved.Add(Describe(path, status) with { Kind = SavedFile.Directory });
            }
        }
        foreach (string path in files)
        {
            if (FileStatus.TryRead(path) is { Kind: FileKind.Regular } status)
            {
                SaveFile(path, extra);
                saved.Add(Describe(path, status) with { Kind = SavedFile.File });
            }
        }
        return saved;
    }

    /// <summary>Puts each saved path back where it was, with its owner, group, mode and times.</summary>
    /// <param name="volume">The volume's side on this node, which every read of the generation's copies goes through.</param>
    public static void PutBack(Manifest manifest, RestoreAttempt attempt, Backends.INodeDirectories volume) => PutBack(manifest, attempt.Directory, volume);

    /// <summary>Puts each saved path back from the copies in <paramref name="saved"/>/extra-files/.</summary>
    /// <param name="savedOn">
    /// The store's side the copies are on, whose reads go through it so that its failures are told apart as every read's are
    /// (a disk's from a network's); null for a scratch directory of this node's. Writes, to the app's paths, never do.
    /// </param>
    public static void PutBack(Manifest manifest, DirectoryHandle saved, Backends.INodeDirectories? savedOn = null)
    {
        using DirectoryHandle? extra = ReadSaved(savedOn, () => saved.TryOpenDirectory(ExtraFilesDir));
        if (extra is null)
        {
            return;
        }
        Func<Func<int>, int>? readCopy = savedOn is null ? null : read => savedOn.ReadLocalFiles(read);
        var directories = new List<SavedFile>();
        foreach (SavedFile entry in manifest.ExtraFiles ?? ReadSaved(savedOn, () => SavedFiles.Inventory(extra)))
        {
            switch (entry.Kind)
            {
                case SavedFile.Directory:
                    PutBackRefusedException.AtTheAppsPath(() => SavedFiles.OpenPath(entry.Path).Dispose());
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
                            SavedFiles.PutBackFile(entry, copy, readCopy);
                        }
                    }
                    break;
            }
        }
        // A directory's times change as entries are made in it: set them last, innermost first.
        foreach (SavedFile directory in Enumerable.Reverse(directories))
        {
            ApplySaved(directory);
        }
    }

    private static void ApplySaved(SavedFile directory) => PutBackRefusedException.AtTheAppsPath(() =>
    {
        using DirectoryHandle handle = SavedFiles.OpenPath(directory.Path);
        UnlockedFile.Apply(handle, directory.Path, directory.Uid, directory.Gid, (UnixFileMode)directory.Mode, directory.Accessed, directory.Modified);
    });

    private static T ReadSaved<T>(Backends.INodeDirectories? savedOn, Func<T> read) => savedOn is null ? read() : savedOn.ReadLocalFiles(read);

    private static void SaveEntry(string path, DirectoryHandle extra, List<SavedFile> saved, ILogger log)
    {
        if (FileStatus.TryRead(path) is not { } status)
        {
            return;
        }
        SavedFile entry = Describe(path, status);
        switch (status.Kind)
        {
            case FileKind.SymbolicLink:
                saved.Add(entry with { Kind = SavedFile.Link, LinkTarget = new FileInfo(path).LinkTarget });
                break;
            case FileKind.Directory:
                saved.Add(entry with { Kind = SavedFile.Directory });
                extra.OpenOrCreateBelow(path.TrimStart('/').Split('/')).Dispose();
                foreach (string child in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
                {
                    SaveEntry(child, extra, saved, log);
                }
                break;
            case FileKind.Regular:
                SaveFile(path, extra);
                saved.Add(entry with { Kind = SavedFile.File });
                break;
            default:
                log.Warning("additionalPaths: {Path} is {Kind}, which crik does not save (only files, directories and links): a restore "
                    + "does not bring it back", path, DirectoryHandle.Describe(status.Kind));
                break;
        }
    }

    private static SavedFile Describe(string path, FileStatus status) =>
        new(path, "", (int)status.Mode, status.Uid, status.Gid, status.Accessed, status.Modified);

    /// <summary>Copies a regular file's contents to extra-files/PATH (a private copy; owner, mode and times go in the manifest).</summary>
    private static void SaveFile(string path, DirectoryHandle extra)
    {
        using DirectoryHandle parent = extra.OpenOrCreateParent(path.TrimStart('/'), out string name);
        // Non-blocking, and checked once open: a FIFO put in the file's place cannot hang the checkpoint.
        using SafeFileHandle source = UnlockedFile.Open(path, OpenFlags.ReadOnly | OpenFlags.NonBlocking);
        if (FileStatus.Read((int)source.DangerousGetHandle()).Kind != FileKind.Regular)
        {
            throw new IOException($"{path} is no longer a regular file; crik copies only regular files");
        }
        parent.DeleteFile(name);
        using SafeFileHandle copy = parent.CreateFile(name);
        SavedFiles.CopyContents(source, copy);
    }
}

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
        using DirectoryHandle extra = staging.Directory.OpenOrCreateDirectory(ExtraFilesDir);
        var walk = new SaveWalk(extra, log);
        foreach (string path in paths.Select(Path.GetFullPath))
        {
            using DirectoryHandle? parent = AppPathWalk.TryOpenParentOf(path, "save", out string name);
            if (parent is not null)
            {
                walk.Entry(parent, name, path, depth: 0);
            }
        }
        return walk.Done();
    }

    /// <summary>
    /// Copies exactly these directories (their entries alone, not what is in them) and regular files
    /// to the staging directory's extra-files/PATH; returns what the manifest records of them.
    /// </summary>
    public static List<SavedFile> SaveExactly(IEnumerable<string> directories, IEnumerable<string> files, StagingCheckpoint staging, ILogger log)
    {
        using DirectoryHandle extra = staging.Directory.OpenOrCreateDirectory(ExtraFilesDir);
        var walk = new SaveWalk(extra, log);
        foreach (string path in directories)
        {
            using DirectoryHandle? parent = AppPathWalk.TryOpenParentOf(path, "save", out string name);
            if (parent?.Stat(name) is { Kind: FileKind.Directory })
            {
                walk.DirectoryAlone(parent, name, path);
            }
        }
        foreach (string path in files)
        {
            using DirectoryHandle? parent = AppPathWalk.TryOpenParentOf(path, "save", out string name);
            if (parent?.Stat(name) is { Kind: FileKind.Regular })
            {
                walk.File(parent, name, path);
            }
        }
        return walk.Done();
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
        var refused = new List<string>();
        if (manifest.ExtraFiles is [])
        {
            return refused; // nothing saved: whatever lies at extra-files is no part of the checkpoint, and must not fail its restore
        }
        using DirectoryHandle? extra = ReadSaved(savedOn, () => saved.TryOpenDirectory(ExtraFilesDir));
        if (extra is null)
        {
            return refused;
        }
        Func<Func<int>, int>? readCopy = savedOn is null ? null : read => savedOn.ReadLocalFiles(read);
        var directories = new List<(SavedFile Entry, FileStatus Made)>();
        foreach (SavedFile entry in manifest.ExtraFiles ?? ReadSaved(savedOn, () => SavedFiles.Inventory(extra)))
        {
            switch (entry.Kind)
            {
                case SavedFile.Directory:
                    directories.Add((entry, PutBackRefusedException.AtTheAppsPath(() =>
                    {
                        using DirectoryHandle made = AppPathWalk.OpenOrMake(entry.Path);
                        return made.Stat();
                    })));
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
        Timing.TestDelay.BeforeSavedDirectoriesSettle();
        // A directory's times change as entries are made in it: set them last, innermost first.
        foreach ((SavedFile directory, FileStatus made) in Enumerable.Reverse(directories))
        {
            using DirectoryHandle handle = PutBackRefusedException.AtTheAppsPath(() => SameDirectory(directory.Path, made));
            SavedFiles.ApplySaved(handle, directory, refused);
        }
        return refused;
    }

    /// <summary>
    /// The directory crik made or found at a path earlier in this put-back, to give it its saved owner, mode and attributes;
    /// refused when another is there now (moved or replaced meanwhile), whose owner crik must not change.
    /// </summary>
    private static DirectoryHandle SameDirectory(string path, FileStatus made)
    {
        DirectoryHandle handle = AppPathWalk.OpenOrMake(path);
        FileStatus now = handle.Stat();
        if (now.Device != made.Device || now.Inode != made.Inode)
        {
            handle.Dispose();
            throw new UnsafeEntryException($"{path} was replaced by another directory as crik put back what is in it; crik gives its saved owner and "
                + "mode only to the directory it put the files in: find out what else moves directories there while the pod starts");
        }
        return handle;
    }

    private static T ReadSaved<T>(Backends.INodeDirectories? savedOn, Func<T> read) => savedOn is null ? read() : savedOn.ReadLocalFiles(read);
}

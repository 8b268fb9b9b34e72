using Crik.Cli.Interop;
using Crik.Cli.Records;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore;

/// <summary>The descriptor-level steps of saving and putting back additional paths.</summary>
internal static class SavedFiles
{
    /// <summary>Copies every byte from one open file to another, by offset (no locks, no shared position).</summary>
    /// <param name="readSource">What each read of <paramref name="source"/> goes through (a store's side on this node), when it is not read directly.</param>
    public static void CopyContents(SafeFileHandle source, SafeFileHandle target, Func<Func<int>, int>? readSource = null)
    {
        var buffer = new byte[1 << 20];
        long offset = 0;
        int ReadSource() => RandomAccess.Read(source, buffer, offset);
        for (int read; (read = readSource is null ? ReadSource() : readSource(ReadSource)) > 0; offset += read)
        {
            RandomAccess.Write(target, buffer.AsSpan(0, read), offset);
        }
        RandomAccess.SetLength(target, offset);
    }

    /// <summary>
    /// Writes a saved file back over whatever is at its path: whole, under a name of crik's beside it, then renamed into place,
    /// so that a put-back cut short (a failed read of the copy, crik killed) never leaves the app a torn file. A link at the
    /// path (symbolic, or another name of the same file) is replaced, never written through. Where no name can be made beside
    /// it (a file bind-mounted into a read-only directory) or the path cannot be renamed over (a mount point), it is written in place.
    /// </summary>
    /// <param name="readCopy">What each read of <paramref name="copy"/> goes through (<see cref="CopyContents"/>).</param>
    /// <param name="refused">Where an extended attribute this node refuses is noted (<see cref="ApplySaved"/>).</param>
    /// <remarks>A refusal at the app's path (not a read of the copy) is a <see cref="PutBackRefusedException"/>.</remarks>
    public static void PutBackFile(SavedFile entry, SafeFileHandle copy, Func<Func<int>, int>? readCopy, List<string> refused)
    {
        string name = "";
        using DirectoryHandle parent = PutBackRefusedException.AtTheAppsPath(() => AppPathWalk.OpenOrMakeParentOf(entry.Path, out name));
        if (!PutBackBeside(parent, name, entry, copy, readCopy, refused))
        {
            using SafeFileHandle inPlace = PutBackRefusedException.AtTheAppsPath(() => OpenForPutBack(entry));
            CopyContents(copy, inPlace, readCopy);
            ApplySaved(inPlace, entry, refused);
        }
    }

    /// <summary>The saved file written beside its path and renamed over it; false when that cannot be done there (see <see cref="PutBackFile"/>).</summary>
    private static bool PutBackBeside(DirectoryHandle parent, string name, SavedFile entry, SafeFileHandle copy, Func<Func<int>, int>? readCopy,
        List<string> refused)
    {
        string staged = StagedName(name);
        SafeFileHandle file;
        try
        {
            parent.DeleteFile(staged); // left by a put-back that was killed
            file = parent.CreateFile(staged);
        }
        catch (IOException e) when (e.HResult is (int)Errno.EROFS or (int)Errno.EACCES or (int)Errno.EPERM)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PutBackRefusedException(e);
        }
        bool renamed = false;
        try
        {
            using (file)
            {
                CopyContents(copy, file, readCopy);
                ApplySaved(file, entry, refused);
            }
            renamed = PutBackRefusedException.AtTheAppsPath(() => parent.RenameOverUnlessMounted(staged, name));
            return renamed;
        }
        finally
        {
            if (!renamed)
            {
                DeleteQuietly(parent, staged);
            }
        }
    }

    /// <summary>Removes crik's own name beside a path; a failure there must not hide the one that led here.</summary>
    private static void DeleteQuietly(DirectoryHandle parent, string staged)
    {
        try
        {
            parent.DeleteFile(staged);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The name a saved file is written under beside its path before it is renamed there (short enough for any name: 255 bytes).</summary>
    private static string StagedName(string name) =>
        System.Text.Encoding.UTF8.GetByteCount(name) <= 200
            ? $".{name}.crik-put-back"
            : $".crik-put-back-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..32]}";

    /// <summary>
    /// Gives a file or directory put back what it had: owner, group, mode and times, then its extended attributes (after the
    /// owner, whose change drops capabilities). An attribute this node refuses (its file system keeps none, or this container
    /// may not set it) is added to <paramref name="refused"/> as "PATH: name (why)"; the file is put back without it.
    /// </summary>
    public static void ApplySaved(System.Runtime.InteropServices.SafeHandle file, SavedFile entry, List<string> refused) =>
        PutBackRefusedException.AtTheAppsPath(() =>
        {
            UnlockedFile.Apply(file, entry.Path, entry.Uid, entry.Gid, (UnixFileMode)entry.Mode, entry.Accessed, entry.Modified);
            var these = new List<string>();
            if (!ExtendedAttributes.Write(file, entry.Attributes, entry.Kind == SavedFile.Directory, these)
                && ExtendedAttributes.GroupBitsOf(entry.Attributes![ExtendedAttributes.AccessAcl]) is { } group)
            {
                // With its ACL, the mode's group bits were the ACL's mask; without it, they are the owning group's: never wider than the ACL gave.
                UnlockedFile.SetMode(file, (UnixFileMode)((entry.Mode & ~0x38) | (group << 3)), entry.Path);
            }
            refused.AddRange(these.Select(attribute => $"{entry.Path}: {attribute}"));
        });

    /// <summary>
    /// The file at the app's path, to write a saved file into: a link there (symbolic, or another name of the same file) is
    /// replaced by a file of its own, never written through, so a file crik does not know of keeps its contents and owner.
    /// A file that someone other than root and the saved file's owner could have opened before is refused: written in place,
    /// it keeps its inode, and a descriptor or shared mapping opened before would read and write what crik puts back, whatever
    /// owner and mode it gets. That is a file of another user's, or one whose mode gives its group or others more than the
    /// saved file's does (its group counts as others unless it is the saved file's group).
    /// </summary>
    private static SafeFileHandle OpenForPutBack(SavedFile entry)
    {
        string path = entry.Path;
        using DirectoryHandle parent = AppPathWalk.OpenOrMakeParentOf(path, out string name);
        if (parent.Stat(name) is { Kind: FileKind.SymbolicLink } or { Kind: FileKind.Regular, LinkCount: > 1 })
        {
            parent.DeleteFile(name);
        }
        SafeFileHandle file = parent.OpenOrCreateFile(name);
        FileStatus status = FileStatus.Read((int)file.DangerousGetHandle());
        if (WhyNotWrittenInPlace(path, status, entry) is { } refusal)
        {
            file.Dispose();
            throw new UnsafeEntryException(refusal);
        }
        return file;
    }

    /// <summary>Why the file now at the app's path must not be written in place with the saved one; null when it may be.</summary>
    private static string? WhyNotWrittenInPlace(string path, FileStatus status, SavedFile entry)
    {
        if (status.LinkCount > 1)
        {
            return $"{path} was linked to another name as crik put it back; crik never writes through a link it did not make: find out who makes links there";
        }
        if (status.Uid != 0 && status.Uid != entry.Uid)
        {
            return $"{path} belongs to uid {status.Uid}, and crik can only write it in place (no name can be made beside it, or it is a mount point): "
                + $"a process of that user could keep it open and read or write what crik puts back; give it to uid {entry.Uid} "
                + "(the saved file's owner) or to root, or mount it where its directory is writable";
        }
        if (WiderThanSaved(status, entry) is { } wider)
        {
            return $"{path} lets {wider} open it, and crik can only write it in place (no name can be made beside it, or it is a mount point): "
                + $"a process that opened it before would read or write what crik puts back; give it the saved file's mode "
                + $"({Convert.ToString(entry.Mode & 0x1ff, 8)}) and group ({entry.Gid}), or mount it where its directory is writable";
        }
        return null;
    }

    /// <summary>
    /// Whom the file at the path lets read or write it that the saved file does not ("others", "group 1000"); null when nobody.
    /// A group other than the saved file's gets no more than the saved file gives others.
    /// </summary>
    private static string? WiderThanSaved(FileStatus status, SavedFile entry)
    {
        const int ReadWrite = 6;
        int mode = (int)status.Mode, savedOthers = entry.Mode & ReadWrite;
        int groupMay = status.Gid == entry.Gid ? (entry.Mode >> 3) & ReadWrite : savedOthers;
        return (mode & ReadWrite & ~savedOthers) != 0 ? "others"
            : ((mode >> 3) & ReadWrite & ~groupMay) != 0 ? $"group {status.Gid}"
            : null;
    }

    /// <summary>Makes a saved link again, replacing what is at its path, with its owner and times.</summary>
    public static void PutBackLink(SavedFile entry)
    {
        if (entry.LinkTarget is null)
        {
            return;
        }
        using DirectoryHandle parent = AppPathWalk.OpenOrMakeParentOf(entry.Path, out string name);
        if (parent.Stat(name) is { Kind: not FileKind.Directory })
        {
            parent.DeleteFile(name);
        }
        parent.CreateSymbolicLink(name, entry.LinkTarget);
        UnlockedFile.ApplyToLink(parent, name, entry.Uid, entry.Gid, entry.Accessed, entry.Modified);
    }

    /// <summary>
    /// What a manifest from before <see cref="Manifest.ExtraFiles"/> existed saved: the copies
    /// themselves, with their own modes and times (owners were not kept then).
    /// </summary>
    public static List<SavedFile> Inventory(DirectoryHandle extra)
    {
        var entries = new List<SavedFile>();
        Walk(extra, "", entries);
        return entries;
    }

    private static void Walk(DirectoryHandle directory, string prefix, List<SavedFile> entries)
    {
        foreach (string name in directory.Names().Order(StringComparer.Ordinal))
        {
            if (directory.Stat(name) is not { } status)
            {
                continue;
            }
            var entry = new SavedFile($"{prefix}/{name}", "", (int)status.Mode, status.Uid, status.Gid, status.Accessed, status.Modified);
            if (status.Kind == FileKind.Directory)
            {
                entries.Add(entry with { Kind = SavedFile.Directory });
                using DirectoryHandle child = directory.TryOpenDirectory(name)!;
                Walk(child, entry.Path, entries);
            }
            else if (status.Kind == FileKind.Regular)
            {
                entries.Add(entry with { Kind = SavedFile.File });
            }
        }
    }
}

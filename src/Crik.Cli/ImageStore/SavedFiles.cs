using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore;

/// <summary>The descriptor-level steps of saving and putting back additional paths.</summary>
internal static class SavedFiles
{
    /// <summary>Copies every byte from one open file to another, by offset (no locks, no shared position).</summary>
    public static void CopyContents(SafeFileHandle source, SafeFileHandle target)
    {
        var buffer = new byte[1 << 20];
        long offset = 0;
        for (int read; (read = RandomAccess.Read(source, buffer, offset)) > 0; offset += read)
        {
            RandomAccess.Write(target, buffer.AsSpan(0, read), offset);
        }
        RandomAccess.SetLength(target, offset);
    }

    /// <summary>Writes a saved file back over whatever is at its path (a link there is replaced, not followed).</summary>
    public static void PutBackFile(SavedFile entry, SafeFileHandle copy)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(entry.Path)!);
        const int flags = OpenFlags.WriteOnly | OpenFlags.Create;
        SafeFileHandle? target = UnlockedFile.TryOpen(entry.Path, flags, DirectoryHandle.PrivateFile, out Errno errno);
        if (target is null && errno is Errno.ELOOP)
        {
            File.Delete(entry.Path);
            target = UnlockedFile.TryOpen(entry.Path, flags, DirectoryHandle.PrivateFile, out errno);
        }
        using SafeFileHandle file = target ?? throw Posix.Failure($"open({entry.Path})", errno);
        CopyContents(copy, file);
        UnlockedFile.Apply(file, entry.Path, entry.Uid, entry.Gid, (UnixFileMode)entry.Mode, entry.Accessed, entry.Modified);
    }

    /// <summary>Makes a saved link again, replacing what is at its path, with its owner and times.</summary>
    public static void PutBackLink(SavedFile entry)
    {
        if (entry.LinkTarget is null)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(entry.Path)!);
        if (FileStatus.TryRead(entry.Path) is { Kind: not FileKind.Directory })
        {
            File.Delete(entry.Path);
        }
        File.CreateSymbolicLink(entry.Path, entry.LinkTarget);
        UnlockedFile.ApplyToLink(entry.Path, entry.Uid, entry.Gid, entry.Accessed, entry.Modified);
    }

    /// <summary>The directory at <paramref name="parts"/> below <paramref name="root"/>, made private where missing; links are refused.</summary>
    public static DirectoryHandle OpenOrCreateBelow(DirectoryHandle root, IEnumerable<string> parts)
    {
        DirectoryHandle current = root.OpenOrCreateDirectory(".");
        foreach (string part in parts.Where(p => p.Length > 0))
        {
            DirectoryHandle next = current.OpenOrCreateDirectory(part);
            current.Dispose();
            current = next;
        }
        return current;
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

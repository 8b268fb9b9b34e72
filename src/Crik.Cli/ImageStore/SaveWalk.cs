using System.Runtime.InteropServices;
using System.Text;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Microsoft.Win32.SafeHandles;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// One save of the app's files into a checkpoint's extra-files/: each name read through the descriptor of the directory it is in
/// (a link is saved as a link, never followed), each file copied from a descriptor, and what the manifest records of them.
/// </summary>
internal sealed class SaveWalk(DirectoryHandle extra, ILogger log)
{
    /// <summary>The longest path crik saves, in bytes: what the kernel takes as one path (PATH_MAX), which a put-back walks.</summary>
    private const int MaxPathBytes = 4095;

    private readonly List<SavedFile> _saved = [];
    private readonly List<string> _attributesSkipped = [];

    /// <summary>What was saved; once, one line names the extended attributes that could not be read.</summary>
    public List<SavedFile> Done()
    {
        if (_attributesSkipped.Count > 0)
        {
            log.Warning("{Count} extended attributes of the saved files could not be read, and a restore does not bring them back: {Skipped}",
                _attributesSkipped.Count, string.Join("; ", _attributesSkipped));
        }
        return _saved;
    }

    /// <summary>A name and, for a directory, everything in it.</summary>
    /// <param name="depth">How many directories below the path named in the configuration.</param>
    public void Entry(DirectoryHandle parent, string name, string path, int depth)
    {
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw new IOException($"a path below additionalPaths is longer than {MaxPathBytes} bytes ({path[..200]}...); crik does not save such a tree: "
                + "name a shallower path");
        }
        if (parent.Stat(name) is not { } status)
        {
            return;
        }
        switch (status.Kind)
        {
            case FileKind.SymbolicLink:
                (string target, FileStatus link) = parent.ReadLink(name) ?? throw ChangedWhileSaved(path);
                _saved.Add(Describe(path, link, opened: null) with { Kind = SavedFile.Link, LinkTarget = target });
                break;
            case FileKind.Directory:
                Directory(parent, name, path, depth);
                break;
            case FileKind.Regular:
                File(parent, name, path);
                break;
            default:
                log.Warning("additionalPaths: {Path} is {Kind}, which crik does not save (only files, directories and links): a restore "
                    + "does not bring it back", path, DirectoryHandle.Describe(status.Kind));
                break;
        }
    }

    /// <summary>A directory's own entry, without what is in it.</summary>
    public void DirectoryAlone(DirectoryHandle parent, string name, string path)
    {
        using DirectoryHandle directory = OpenSeen(parent, name, path);
        _saved.Add(Describe(path, directory.Stat(), directory) with { Kind = SavedFile.Directory });
    }

    /// <summary>
    /// Copies a regular file's contents to extra-files/PATH (a private copy; owner, mode, times and extended attributes go in the
    /// manifest), all read from the descriptor it was copied from.
    /// </summary>
    public void File(DirectoryHandle parent, string name, string path)
    {
        using DirectoryHandle copyParent = extra.OpenOrCreateParent(path.TrimStart('/'), out string copyName);
        using SafeFileHandle source = OpenSeenFile(parent, name, path);
        FileStatus before = FileStatus.Read((int)source.DangerousGetHandle());
        copyParent.DeleteFile(copyName);
        using (SafeFileHandle copy = copyParent.CreateFile(copyName))
        {
            SavedFiles.CopyContents(source, copy);
        }
        // What guards the file (owner, mode, capabilities, ACLs) is read once its contents are copied: a write by another process
        // meanwhile, which makes the kernel drop set-ID bits and capabilities, is seen. Its access time is the one before crik read it.
        FileStatus after = FileStatus.Read((int)source.DangerousGetHandle());
        _saved.Add(Describe(path, after with { Accessed = before.Accessed }, source) with { Kind = SavedFile.File });
    }

    /// <summary>A directory's entry, and everything in it.</summary>
    /// <remarks>
    /// A tree nested deeper than <see cref="DirectoryHandle.MaxTreeDepth"/> is refused with an IOException (the checkpoint fails,
    /// and the app runs on): one planted on a shared volume must not run crik out of stack, which ends PID 1.
    /// </remarks>
    private void Directory(DirectoryHandle parent, string name, string path, int depth)
    {
        if (depth >= DirectoryHandle.MaxTreeDepth)
        {
            throw new IOException($"{path} is nested more than {DirectoryHandle.MaxTreeDepth} directories deep below the path in additionalPaths; "
                + "crik does not save such a tree: name a shallower path");
        }
        TestDelay.BeforeSavedDirectoryOpens();
        using DirectoryHandle directory = OpenSeen(parent, name, path);
        _saved.Add(Describe(path, directory.Stat(), directory) with { Kind = SavedFile.Directory });
        extra.OpenOrCreateBelow(path.Split('/', StringSplitOptions.RemoveEmptyEntries)).Dispose();
        string prefix = path.TrimEnd('/');
        foreach (string child in directory.Names().Order(StringComparer.Ordinal))
        {
            Entry(directory, child, $"{prefix}/{child}", depth + 1);
        }
    }

    /// <summary>A directory crik saw there: anything else there now (a link put in its place) is refused, never followed.</summary>
    private static DirectoryHandle OpenSeen(DirectoryHandle parent, string name, string path)
    {
        try
        {
            return parent.TryOpenDirectory(name) ?? throw ChangedWhileSaved(path);
        }
        catch (UnsafeEntryException)
        {
            throw ChangedWhileSaved(path);
        }
    }

    /// <summary>
    /// A regular file crik saw there, opened without a lock and non-blocking, so that a FIFO put in its place cannot hang the
    /// checkpoint; anything else there now (a link, a FIFO) is refused, never followed.
    /// </summary>
    private static SafeFileHandle OpenSeenFile(DirectoryHandle parent, string name, string path)
    {
        try
        {
            return parent.TryOpenFile(name) ?? throw ChangedWhileSaved(path);
        }
        catch (UnsafeEntryException)
        {
            throw new IOException($"{path} is no longer a regular file; crik copies only regular files");
        }
    }

    private static IOException ChangedWhileSaved(string path) =>
        new($"{path} changed as crik saved it: a process that is not the app's (which is stopped) replaced or removed it. crik follows no "
            + "link put there; the next checkpoint saves it anew");

    /// <param name="opened">The file or directory itself, whose extended attributes are kept; null for a link.</param>
    private SavedFile Describe(string path, FileStatus status, SafeHandle? opened) =>
        new(path, "", (int)status.Mode, status.Uid, status.Gid, status.Accessed, status.Modified,
            Attributes: opened is null ? null : ExtendedAttributes.Read(opened, path, _attributesSkipped));
}

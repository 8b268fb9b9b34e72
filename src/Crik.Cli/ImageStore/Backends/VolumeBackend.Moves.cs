using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

// Entries from one key to another: a rename that replaces, a rename that never replaces, and a file's copy. Each flushes
// the directories it changed.
internal sealed partial class VolumeBackend
{
    /// <summary>One rename, flushed on both sides.</summary>
    public void Move(string from, string to)
    {
        (DirectoryHandle source, string name, DirectoryHandle target, string newName) = Ends(from, to);
        using (source)
        using (target)
        {
            if (source.Stat(name) is null)
            {
                throw new IOException($"{source.PathOf(name)} vanished before crik could move it"); // and what is at the target stays
            }
            target.DeleteTree(newName); // a copy left by an interrupted earlier move
            source.Rename(name, target, newName);
            target.Sync();
            source.Sync();
        }
    }

    /// <summary>One renameat2(RENAME_NOREPLACE), then a flush of the directories on both sides (one when they are the same).</summary>
    public bool RenameNoReplace(string from, string to)
    {
        (DirectoryHandle source, string name, DirectoryHandle target, string newName) = Ends(from, to);
        using (source)
        using (target)
        {
            if (!source.RenameNoReplace(name, target, newName))
            {
                return false;
            }
            try
            {
                target.Sync();
                if (Split(from).Directory != Split(to).Directory)
                {
                    source.Sync();
                }
            }
            catch (IOException e)
            {
                log.Warning("{To} is in place, but crik could not flush {Dir} after the rename: {Error}", target.PathOf(newName), target.Path, e.Message);
            }
            return true;
        }
    }

    /// <summary>Written under a temporary name beside the target, flushed, then renamed over it: whole or not at all.</summary>
    public bool Copy(string from, string to)
    {
        (string directory, string name) = Split(from);
        using DirectoryHandle? source = TryOpenBelow(directory);
        using SafeFileHandle? file = source?.TryOpenFile(name);
        if (file is null)
        {
            return false;
        }
        using DirectoryHandle target = Root.OpenOrCreateParent(to, out string newName);
        string temporary = $".copy-{Guid.NewGuid():N}";
        try
        {
            using (SafeFileHandle copy = target.CreateFile(temporary))
            {
                SavedFiles.CopyContents(file, copy);
                UnlockedFile.Sync(copy, target.PathOf(temporary));
            }
            target.Rename(temporary, target, newName);
        }
        catch
        {
            target.DeleteFile(temporary);
            throw;
        }
        target.Sync();
        return true;
    }

    /// <summary>
    /// The directory holding <paramref name="from"/> (which must be there) and the one that is to hold
    /// <paramref name="to"/> (made where missing), each a handle of its own, reached one name at a time.
    /// </summary>
    private (DirectoryHandle Source, string Name, DirectoryHandle Target, string NewName) Ends(string from, string to)
    {
        (string directory, string name) = Split(from);
        DirectoryHandle source = TryOpenBelow(directory) ?? throw new IOException($"{Root.PathOf(directory)} vanished");
        try
        {
            return (source, name, Root.OpenOrCreateParent(to, out string newName), newName);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }
}

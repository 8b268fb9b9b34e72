using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;
using Serilog;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A volume's entries from one key to another (<see cref="VolumeBackend.Move"/>, <see cref="VolumeBackend.Copy"/>): a rename that
/// replaces, a rename that never replaces, and a file's copy. Each flushes the directories it changed.
/// </summary>
internal sealed class VolumeMoves(VolumeDirectory volume, ILogger log)
{
    /// <summary>One rename (renameat2(RENAME_NOREPLACE) when it may not replace), flushed on both sides.</summary>
    public bool Move(string from, string to, MoveMode mode) => mode == MoveMode.Replace ? Replace(from, to) : RenameNoReplace(from, to);

    private bool Replace(string from, string to)
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
            return true;
        }
    }

    /// <summary>One renameat2(RENAME_NOREPLACE), then a flush of the directories on both sides (one when they are the same).</summary>
    private bool RenameNoReplace(string from, string to)
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
                if (VolumeDirectory.Split(from).Directory != VolumeDirectory.Split(to).Directory)
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
        (string directory, string name) = VolumeDirectory.Split(from);
        using DirectoryHandle? source = volume.TryOpenBelow(directory);
        using SafeFileHandle? file = source?.TryOpenFile(name);
        if (file is null)
        {
            return false;
        }
        using DirectoryHandle target = volume.Root.OpenOrCreateParent(to, out string newName);
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
        (string directory, string name) = VolumeDirectory.Split(from);
        DirectoryHandle source = volume.TryOpenBelow(directory) ?? throw new IOException($"{volume.Root.PathOf(directory)} vanished");
        try
        {
            return (source, name, volume.Root.OpenOrCreateParent(to, out string newName), newName);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }
}

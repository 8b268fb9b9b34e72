using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>A volume's side on this node (<see cref="INodeDirectories"/>): a generation's directory on the volume is CRIU's.</summary>
internal sealed class VolumeNodeSide(VolumeDirectory volume) : INodeDirectories
{
    /// <summary>Makes a directory's contents private (0700 directories, 0600 files), best effort; a file or what is absent is left as it is.</summary>
    public void MakePrivate(string location)
    {
        (DirectoryHandle parent, string name) = volume.Parent(location);
        using (parent)
        {
            using DirectoryHandle? directory = parent.TryOpenDirectory(name);
            if (directory is not null)
            {
                volume.Tighten(directory.Path, directory.MakeContentsPrivate);
            }
        }
    }

    public DirectoryHandle? OpenLocalDirectory(string key) => volume.TryOpenBelow(key);

    public T ReadLocalFiles<T>(Func<T> read) => read();

    public DirectoryHandle? CreateLocalDirectory(string key)
    {
        (DirectoryHandle parent, string name) = volume.Parent(key, create: true);
        using (parent)
        {
            return parent.CreateDirectory(name);
        }
    }

    /// <summary>Renames the file to <paramref name="key"/> (true), or copies it there when it is on another file system (a restore's work directory in /tmp).</summary>
    public bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key)
    {
        DirectoryHandle.SetMode(file, DirectoryHandle.PrivateFile);
        using DirectoryHandle parent = volume.Root.OpenOrCreateParent(key, out string target);
        if (TryRename(directory, name, parent, target))
        {
            return true; // a dump's log, already on the volume: no copy within the checkpoint's budget
        }
        parent.DeleteFile(target);
        using var copy = parent.CreateFile(target);
        SavedFiles.CopyContents(file, copy);
        return false;
    }

    /// <summary>A rename when both are on one file system (rename replaces a planted entry, never follows it).</summary>
    private static bool TryRename(DirectoryHandle from, string name, DirectoryHandle to, string newName)
    {
        try
        {
            from.Rename(name, to, newName);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}

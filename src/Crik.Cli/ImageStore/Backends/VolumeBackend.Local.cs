using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

// What runs on the node: directories for CRIU, a pack written as it is made, and files put at keys.
internal sealed partial class VolumeBackend
{
    /// <summary>Itself: a generation's directory on the volume is CRIU's.</summary>
    public INodeDirectories Node => this;

    public DirectoryHandle? OpenLocalDirectory(string key) => TryOpenBelow(key);

    public DirectoryHandle? CreateLocalDirectory(string key)
    {
        (DirectoryHandle parent, string name) = Parent(key, create: true);
        using (parent)
        {
            return parent.CreateDirectory(name);
        }
    }

    /// <summary>A file created only if absent, written back to disk while it is written (<see cref="PackFileTarget"/>).</summary>
    public IBlobUpload CreateUpload(string key)
    {
        (DirectoryHandle parent, string name) = Parent(key, create: true);
        using (parent)
        {
            return new FileUpload(parent.CreateFile(name), () => DeleteUnfinished(key));
        }
    }

    /// <summary>None: an upload is a file at its key from the start, and one a killed dump left is a blob like any other.</summary>
    public List<UnfinishedUpload>? ListUnfinishedUploads(string prefix) => [];

    /// <summary>Nothing to abort: a volume lists no unfinished upload.</summary>
    public bool AbortUpload(UnfinishedUpload upload) => false;

    /// <summary>Renames the file to <paramref name="key"/> (true), or copies it there when it is on another file system (a restore's work directory in /tmp).</summary>
    public bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key)
    {
        DirectoryHandle.SetMode(file, DirectoryHandle.PrivateFile);
        using DirectoryHandle parent = Root.OpenOrCreateParent(key, out string target);
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

    private void DeleteUnfinished(string key)
    {
        try
        {
            Delete(key);
        }
        catch (IOException e)
        {
            log.Warning("Could not remove the unfinished {Path}: {Error}", Path.Combine(imageDir, key), e.Message);
        }
    }

    /// <summary>A file written in place: complete once written (the file system's flush makes it durable), deleted when aborted.</summary>
    private sealed class FileUpload(SafeFileHandle file, Action delete) : IBlobUpload
    {
        private readonly PackFileTarget _target = new(file);

        public bool Completed { get; private set; }

        public void Write(ReadOnlySpan<byte> data, long offset) => _target.Write(data, offset);

        public void Complete() => Completed = true;

        public void Abort()
        {
            _target.Dispose();
            if (!Completed)
            {
                delete();
            }
        }

        public void Dispose() => _target.Dispose();
    }
}

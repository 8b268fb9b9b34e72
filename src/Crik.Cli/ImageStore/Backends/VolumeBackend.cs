using Crik.Cli.Interop;
using Crik.Cli.Locking;
using Crik.Cli.Records;
using Microsoft.Win32.SafeHandles;
using Serilog;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// Generations on a volume: <c>checkpoint-000007/</c> (its manifest and files), dumps in progress
/// (<c>.staging-000008-*/</c>), <c>retired/</c>, <c>set-aside/</c> (never deleted by crik),
/// <c>packs/000007.pack</c>, <c>restores/</c>, CRIU's logs (<c>logs/</c>) and the lock (<c>.lock</c>).
/// </summary>
/// <remarks>
/// Everything below the image directory is reached relative to descriptors crik holds, without
/// following links (a link planted on the shared volume is refused with one line: <see cref="VolumeDirectory"/>), and made
/// private: 0700 directories, 0600 files. Making modes private is best effort: a file system that refuses
/// chmod (an immutable file, an SMB share) gets one warning, not a refusal. A generation becomes
/// visible when <see cref="StagingCheckpoint"/> renames its staging directory (<see cref="MoveMode.NoReplace"/>) after
/// its manifest is flushed; moves are renames, flushed on both sides (<see cref="VolumeMoves"/>).
/// </remarks>
/// <param name="readOnly">Only read (crik images): nothing is created or tightened.</param>
internal sealed class VolumeBackend : IStoreBackend
{
    private readonly string _imageDir;
    private readonly VolumeDirectory _volume;
    private readonly VolumeMoves _moves;

    public VolumeBackend(string imageDir, ILogger log, bool readOnly = false)
    {
        _imageDir = imageDir;
        _volume = new VolumeDirectory(imageDir, log, readOnly);
        _moves = new VolumeMoves(_volume, log);
        Description = new(imageDir, HasDirectories: true, ReadsWaitOnNetwork: false);
        NodeSide = new VolumeNodeSide(_volume);
    }

    /// <summary>A store with directories, read from this node's file system.</summary>
    public StoreDescription Description { get; }

    /// <summary>Its side on this node: CRIU's directories are in it (<see cref="VolumeNodeSide"/>).</summary>
    public INodeDirectories NodeSide { get; }

    public string LogDir => Path.Combine(_imageDir, StoreLayout.LogDir);

    /// <summary>Whether the image directory is known to be on this node's own disk, not a network file system (unknown until it is opened).</summary>
    public bool OnOwnDisk => !FileSystemType.IsNetworked(_volume.FileSystem);

    /// <summary>Serialises crik instances sharing the directory. Throws <see cref="UnsafeEntryException"/> when the directory holds something crik refuses to use.</summary>
    /// <remarks>
    /// On a node's own disk the lock file is held open read-only (flock needs no more), so the volume can still be remounted
    /// read-only under a running app. NFS (EFS, Filestore) takes a flock as a lock of the whole file at the server, and refuses
    /// an exclusive one on a file not open for writing (EBADF): on a network file system it is held open for writing too.
    /// </remarks>
    public IStoreLock? TryLock(TimeSpan timeout, Action? stillWaiting = null)
    {
        DirectoryHandle root = _volume.Root;
        root.OpenOrCreateFile(StoreLayout.LockFile).Dispose();
        SafeFileHandle file = root.TryOpenFile(StoreLayout.LockFile, forWriting: !OnOwnDisk)
            ?? throw new IOException($"{root.PathOf(StoreLayout.LockFile)} vanished");
        return HandleLock.TryAcquire(file, root.PathOf(StoreLayout.LockFile), timeout, stillWaiting);
    }

    /// <summary>Each directory in turn, reached from the image directory's handle.</summary>
    public List<StoredEntry> List(IReadOnlyList<string> prefixes) => prefixes.Distinct(StringComparer.Ordinal).SelectMany(ListDirectory).ToList();

    /// <summary>The file, opened once through the handles on the way (a link there or on the way is refused); null when absent.</summary>
    public IBlobReader? OpenRead(string key)
    {
        (string directory, string name) = VolumeDirectory.Split(key);
        using DirectoryHandle? parent = _volume.TryOpenBelow(directory);
        return parent?.TryOpenFile(name) is { } file ? new VolumeFile(file) : null;
    }

    /// <summary>An lstat through the handles on the way: a link is described, never followed, and a link on the way is refused.</summary>
    public StoredStatus? Describe(string key)
    {
        (string directory, string name) = VolumeDirectory.Split(key);
        using DirectoryHandle? parent = _volume.TryOpenBelow(directory);
        return parent?.Stat(name) is { } status ? new StoredStatus(status.Kind, status.Size, status.Uid, status.Mode, status.Gid) : null;
    }

    public bool WriteIfAbsent(string path, byte[] content)
    {
        (string directory, string name) = VolumeDirectory.Split(path);
        (DirectoryHandle grandparent, string parentName) = _volume.Parent(directory, create: true);
        using (grandparent)
        {
            using DirectoryHandle parent = grandparent.OpenOrCreateDirectory(parentName);
            if (parent.Stat(name) is not null)
            {
                return false;
            }
            using (var file = parent.CreateFile(name))
            {
                RandomAccess.Write(file, content, 0);
                UnlockedFile.Sync(file, parent.PathOf(name));
            }
            parent.Sync();
            return true;
        }
    }

    public void Delete(string path)
    {
        (string directory, string name) = VolumeDirectory.Split(path);
        using DirectoryHandle? parent = _volume.TryOpenBelow(directory);
        parent?.DeleteTree(name);
    }

    /// <summary>One rename (renameat2(RENAME_NOREPLACE) when it may not replace), flushed on both sides.</summary>
    public bool Move(string from, string to, MoveMode mode) => _moves.Move(from, to, mode);

    /// <summary>Written under a temporary name beside the target, flushed, then renamed over it: whole or not at all.</summary>
    public bool Copy(string from, string to) => _moves.Copy(from, to);

    /// <summary>A file created only if absent, written back to disk while it is written (<see cref="VolumeFileUpload"/>).</summary>
    public IBlobUpload CreateUpload(string key)
    {
        (DirectoryHandle parent, string name) = _volume.Parent(key, create: true);
        using (parent)
        {
            return new VolumeFileUpload(parent.CreateFile(name), this, key);
        }
    }

    /// <summary>None: an upload is a file at its key from the start, and one a killed dump left is a blob like any other.</summary>
    public List<UnfinishedUpload>? ListUnfinishedUploads(string prefix) => [];

    /// <summary>Nothing to abort: a volume lists no unfinished upload.</summary>
    public bool AbortUpload(UnfinishedUpload upload) => false;

    public void Dispose() => _volume.Dispose();

    private List<StoredEntry> ListDirectory(string prefix)
    {
        string directory = prefix.TrimEnd('/');
        using DirectoryHandle? handle = _volume.TryOpenBelow(directory, onlyDirectories: true);
        string keyPrefix = directory.Length == 0 ? "" : directory + "/";
        return handle is null ? [] : handle.Names()
            .Select(n => (Name: n, Status: handle.Stat(n)))
            .Where(e => e.Status is not null)
            .Select(e => new StoredEntry(keyPrefix + e.Name, e.Status!.Value.Kind, e.Status.Value.Modified))
            .ToList();
    }
}

using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Model;
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
/// following links (a link planted on the shared volume is refused with one line), and made private:
/// 0700 directories, 0600 files. Making modes private is best effort: a file system that refuses
/// chmod (an immutable file, an SMB share) gets one warning, not a refusal. A generation becomes
/// visible when <see cref="StagingCheckpoint"/> renames its staging directory (<see cref="RenameNoReplace"/>) after
/// its manifest is flushed; moves are renames, flushed on both sides.
/// </remarks>
/// <param name="readOnly">Only read (crik images): nothing is created or tightened.</param>
internal sealed partial class VolumeBackend(string imageDir, ILogger log, bool readOnly = false) : IStoreBackend, INodeDirectories
{
    private DirectoryHandle? _root;
    private DirectoryHandle? _packs;
    private int _warnedAboutModes;

    public string ImageDir => imageDir;

    public bool HasDirectories => true;

    public string LogDir => Path.Combine(imageDir, StoreLayout.LogDir);

    /// <summary>The image directory, opened (and created private) on first use; a planted link in it is refused.</summary>
    internal DirectoryHandle Root => _root ?? Open();

    private DirectoryHandle Packs => _packs ??= Root.OpenOrCreateDirectory(StoreLayout.PacksDir);

    private DirectoryHandle? ExistingPacks => _packs ??= Root.Stat(StoreLayout.PacksDir) is { Kind: FileKind.Directory } ? Root.TryOpenDirectory(StoreLayout.PacksDir) : null;

    /// <summary>Serialises crik instances sharing the directory. Throws <see cref="UnsafeEntryException"/> when the directory holds something crik refuses to use.</summary>
    /// <remarks>The lock file is held open read-only (flock needs no more), so a volume can still be remounted read-only under a running app.</remarks>
    public IStoreLock? TryLock(TimeSpan timeout, Action? stillWaiting = null) => Lock(timeout, stillWaiting);

    private HandleLock? Lock(TimeSpan timeout, Action? stillWaiting)
    {
        Root.OpenOrCreateFile(StoreLayout.LockFile).Dispose();
        SafeFileHandle file = Root.TryOpenFile(StoreLayout.LockFile) ?? throw new IOException($"{Root.PathOf(StoreLayout.LockFile)} vanished");
        return HandleLock.TryAcquire(file, Root.PathOf(StoreLayout.LockFile), timeout, stillWaiting);
    }

    /// <summary>Each directory in turn, reached from the image directory's handle.</summary>
    public List<StoredEntry> List(IReadOnlyList<string> prefixes) => prefixes.Distinct(StringComparer.Ordinal).SelectMany(ListDirectory).ToList();

    private List<StoredEntry> ListDirectory(string prefix)
    {
        string directory = prefix.TrimEnd('/');
        using DirectoryHandle? handle = TryOpenBelow(directory, onlyDirectories: true);
        string keyPrefix = directory.Length == 0 ? "" : directory + "/";
        return handle is null ? [] : handle.Names()
            .Select(n => (Name: n, Status: handle.Stat(n)))
            .Where(e => e.Status is not null)
            .Select(e => new StoredEntry(keyPrefix + e.Name, e.Status!.Value.Kind, e.Status.Value.Modified))
            .ToList();
    }

    public byte[]? Read(string path, long max)
    {
        (string directory, string name) = Split(path);
        using DirectoryHandle? parent = TryOpenBelow(directory);
        using var file = parent?.TryOpenFile(name);
        return file is null ? null : FileContents.Read(file, max + 1);
    }

    public byte[]? Read(string path, long offset, int length)
    {
        (string directory, string name) = Split(path);
        using DirectoryHandle? parent = TryOpenBelow(directory);
        using var file = parent?.TryOpenFile(name);
        if (file is null)
        {
            return null;
        }
        var bytes = new byte[(int)Math.Clamp(RandomAccess.GetLength(file) - offset, 0, length)];
        int total = 0, read;
        while (total < bytes.Length && (read = RandomAccess.Read(file, bytes.AsSpan(total), offset + total)) > 0)
        {
            total += read;
        }
        return total == bytes.Length ? bytes : bytes[..total];
    }

    /// <summary>An lstat through the handles on the way: a link is described, never followed, and a link on the way is refused.</summary>
    public StoredStatus? Describe(string key)
    {
        (string directory, string name) = Split(key);
        using DirectoryHandle? parent = TryOpenBelow(directory);
        return parent?.Stat(name) is { } status ? new StoredStatus(status.Kind, status.Size, status.Uid, status.Mode) : null;
    }

    public bool WriteIfAbsent(string path, byte[] content)
    {
        (string directory, string name) = Split(path);
        (DirectoryHandle grandparent, string parentName) = Parent(directory, create: true);
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
        (string directory, string name) = Split(path);
        using DirectoryHandle? parent = TryOpenBelow(directory);
        parent?.DeleteTree(name);
    }

    /// <summary>Makes a directory's contents private (0700 directories, 0600 files), best effort; a file or what is absent is left as it is.</summary>
    public void MakePrivate(string location)
    {
        (DirectoryHandle parent, string name) = Parent(location);
        using (parent)
        {
            using DirectoryHandle? directory = parent.TryOpenDirectory(name);
            if (directory is not null)
            {
                Tighten(directory.Path, directory.MakeContentsPrivate);
            }
        }
    }

    public PackReader OpenPackReader(ChunkCodec codec, bool callerRetries = false) =>
        new(generation => (readOnly ? ExistingPacks : Packs)?.TryOpenFile(StoreLayout.PackName(generation)), codec);

    public void Dispose()
    {
        _packs?.Dispose();
        _root?.Dispose();
    }

    private DirectoryHandle Open()
    {
        var root = DirectoryHandle.OpenOrCreate(imageDir);
        try
        {
            foreach (string name in new[] { StoreLayout.LogDir, StoreLayout.SetAsideDir, StoreLayout.RetiredDir, StoreLayout.PacksDir, StoreLayout.RestoresDir })
            {
                // Refuses a link or a file where crik keeps a directory; tightens one an older crik made 0755.
                using DirectoryHandle? existing = root.TryOpenDirectory(name);
                if (existing is not null && !readOnly)
                {
                    Tighten(existing.Path, () => existing.SetMode(DirectoryHandle.PrivateDirectory));
                }
            }
            if (root.Stat(StoreLayout.LockFile) is { Kind: not FileKind.Regular } lockStatus)
            {
                throw new UnsafeEntryException(lockStatus.Kind == FileKind.SymbolicLink
                    ? $"{root.PathOf(StoreLayout.LockFile)} is a symbolic link; crik never follows links in its image directory: remove it"
                    : $"{root.PathOf(StoreLayout.LockFile)} is {DirectoryHandle.Describe(lockStatus.Kind)}, not crik's lock file: remove it");
            }
        }
        catch
        {
            root.Dispose();
            throw;
        }
        return _root = root;
    }

    /// <summary>Makes modes private, or warns once that it could not: private modes protect, but their absence costs no checkpoint.</summary>
    private void Tighten(string path, Action tighten)
    {
        if (readOnly)
        {
            return;
        }
        try
        {
            tighten();
        }
        catch (Exception e) when (e is (IOException and not UnsafeEntryException) or UnauthorizedAccessException)
        {
            if (Interlocked.Exchange(ref _warnedAboutModes, 1) == 0)
            {
                log.Warning("Could not make everything in {Path} private ({Error}); crik goes on. Check the volume's permissions "
                    + "(an immutable file, or a file system that refuses chmod)", path, e.Message);
            }
        }
    }
}

// ImageStore/ owns every path in the image directory: staging, commit, verification, set-aside, retirement, manifests.
using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The image directory, and the only code that names anything in it: committed generations
/// (<c>checkpoint-000007/</c>), dumps in progress (<c>.staging-000008-*/</c>), checkpoints already
/// restored once (<c>retired/</c>), checkpoints that cannot be restored (<c>set-aside/</c>, never
/// deleted by crik), the chunks of streamed images (<c>packs/000007.pack</c>, one per generation
/// that wrote new chunks, kept while any generation uses them), CRIU's logs (<c>logs/</c>) and the
/// lock (<c>.lock</c>). Callers get handles
/// (<see cref="StagingCheckpoint"/>, <see cref="RestoreAttempt"/>) that carry the paths they need.
/// </summary>
/// <remarks>
/// Everything below the image directory is reached relative to descriptors crik holds, without
/// following links (a link planted on the shared volume is refused with one line), and is private:
/// 0700 directories, 0600 files. A checkpoint is committed by writing its manifest last, flushing,
/// renaming the staging directory and flushing the image directory: a crash at any point leaves
/// either the whole checkpoint or a staging directory that is never restored. Later ways of
/// storing images (pre-dump chains, streamed images, object storage) plug in behind the same
/// handles: a staging checkpoint can name a parent generation or a streamer, and commit and
/// restore stay the store's alone.
/// </remarks>
internal sealed partial class CheckpointStore(string imageDir, ILogger log, ChunkCodec? codec = null) : ICheckpointStore
{
    private readonly ChunkCodec _codec = codec ?? ChunkCodec.Plain;

    private DirectoryHandle? _root;
    private DirectoryHandle? _logs;
    private DirectoryHandle? _packs;

    public string ImageDir => imageDir;

    public string LogDir => Path.Combine(imageDir, StoreLayout.LogDir);

    public string SetAsideDir => Path.Combine(imageDir, StoreLayout.SetAsideDir);

    public string RetiredDir => Path.Combine(imageDir, StoreLayout.RetiredDir);

    /// <summary>The image directory, opened (and created private) on first use; a planted link in it is refused.</summary>
    private DirectoryHandle Root => _root ?? Open();

    private DirectoryHandle Logs => _logs ??= Root.OpenOrCreateDirectory(StoreLayout.LogDir);

    private DirectoryHandle Packs => _packs ??= Root.OpenOrCreateDirectory(StoreLayout.PacksDir);

    /// <summary>
    /// Serialises crik instances sharing the directory (an old pod still dumping, a new one
    /// restoring). Throws <see cref="UnsafeEntryException"/> (an IOException) when the directory
    /// holds something crik refuses to use.
    /// </summary>
    public TimeSpan DeadHolderLockTime => TimeSpan.Zero;

    public IDisposable Within(TimeSpan limit) => NoLimit.Instance;

    public IDisposable? TryLock(TimeSpan timeout) =>
        HandleLock.TryAcquire(Root.OpenOrCreateFile(StoreLayout.LockFile), Root.PathOf(StoreLayout.LockFile), timeout);

    /// <summary>One more than any generation this directory has seen: committed, staged, retired or set aside.</summary>
    public long NextGeneration()
    {
        IEnumerable<string> names = Root.Names().Concat(NamesIn(StoreLayout.SetAsideDir)).Concat(NamesIn(StoreLayout.RetiredDir));
        long newest = names.Select(StoreLayout.ParseGeneration).Concat(NamesIn(StoreLayout.PacksDir).Select(StoreLayout.ParsePackGeneration))
            .DefaultIfEmpty(0).Max();
        return newest + 1;
    }

    /// <summary>
    /// Makes a new private staging directory for the next generation's dump, and its pack, which
    /// reuses the chunks of the committed and retired generations.
    /// </summary>
    public StagingCheckpoint BeginCheckpoint()
    {
        long generation = NextGeneration();
        string name = StoreLayout.StagingName(generation);
        _ = Logs;
        Dictionary<string, ChunkRef> known = KnownChunks();
        var pack = new PackWriter(generation, Packs.CreateFile(StoreLayout.PackName(generation)), known, _codec);
        try
        {
            return new StagingCheckpoint(generation, name, Root.CreateDirectory(name), Path.Combine(LogDir, StoreLayout.DumpLogName(generation)), pack);
        }
        catch
        {
            pack.Dispose();
            Packs.DeleteFile(StoreLayout.PackName(generation));
            throw;
        }
    }

    /// <summary>Removes a staging directory whose dump did not succeed, keeping CRIU's log in logs/.</summary>
    public void Abandon(StagingCheckpoint staging)
    {
        KeepCriuLog(staging.Directory, staging.Criu.LogName);
        try
        {
            Root.DeleteTree(staging.Name);
        }
        catch (IOException e)
        {
            log.Warning("Could not remove the failed checkpoint's staging directory {Dir}: {Error}", staging.Path, e.Message);
        }
        staging.Dispose();
        try
        {
            Packs.DeleteFile(StoreLayout.PackName(staging.Generation));
        }
        catch (IOException e)
        {
            log.Warning("Could not remove the failed checkpoint's pack {Pack}: {Error}", Packs.PathOf(StoreLayout.PackName(staging.Generation)), e.Message);
        }
    }

    /// <summary>Names of committed checkpoint directories (real directories only), newest first.</summary>
    public List<string> CommittedNames() => CommittedNames(Root);

    public void Dispose()
    {
        _logs?.Dispose();
        _packs?.Dispose();
        _root?.Dispose();
    }

    private DirectoryHandle Open()
    {
        var root = DirectoryHandle.OpenOrCreate(imageDir);
        try
        {
            foreach (string name in new[] { StoreLayout.LogDir, StoreLayout.SetAsideDir, StoreLayout.RetiredDir, StoreLayout.PacksDir })
            {
                // Refuses a link or a file where crik keeps a directory; tightens one an older crik made 0755.
                using DirectoryHandle? existing = root.TryOpenDirectory(name);
                existing?.SetMode(DirectoryHandle.PrivateDirectory);
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

    private List<string> NamesIn(string directoryName)
    {
        using DirectoryHandle? directory = Root.TryOpenDirectory(directoryName);
        return directory?.Names() ?? [];
    }

    private static List<string> CommittedNames(DirectoryHandle directory) =>
        directory.Names().Where(StoreLayout.IsCommitted)
            .Where(n => directory.Stat(n)?.Kind == FileKind.Directory)
            .OrderByDescending(StoreLayout.ParseGeneration)
            .ToList();

    /// <summary>Moves CRIU's log (and what criu printed, if anything) from a work directory into logs/; failures are warnings.</summary>
    private void KeepCriuLog(DirectoryHandle workDir, string logName)
    {
        foreach (string name in new[] { logName, logName + ".out" })
        {
            try
            {
                using (var file = workDir.TryOpenFile(name))
                {
                    if (file is null)
                    {
                        continue;
                    }
                    DirectoryHandle.SetMode(file, DirectoryHandle.PrivateFile);
                }
                workDir.Rename(name, Logs, name);
            }
            catch (IOException e)
            {
                log.Warning("Could not move CRIU's log {Name} into {Dir}: {Error}", name, LogDir, e.Message);
            }
        }
    }

    private sealed class NoLimit : IDisposable
    {
        public static readonly NoLimit Instance = new();

        public void Dispose()
        {
        }
    }
}

using System.Text;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// A dump in progress, the same for every backend: a new private directory that only crik and the CRIU it runs write
/// into, and this generation's pack, written as CRIU dumps (<see cref="IStoreBackend.CreateUpload"/>). In a store with
/// directories the directory is in the store (<c>.staging-NNNNNN-*</c>) and the commit renames it; in object storage it
/// is a scratch directory on the node, whose files are sealed into the pack, and the commit writes the manifest last
/// (<see cref="ManifestCommit"/>). Finish it with <see cref="GenerationStore.Commit"/> or <see cref="GenerationStore.Abandon"/>.
/// </summary>
internal sealed class StagingCheckpoint : IDisposable
{
    /// <summary>How long CRIU's log of a failed dump may still take to keep, even past the checkpoint's budget.</summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(3);

    private readonly StoreStack _store;
    private readonly ILogger _log;
    private readonly string? _name;
    private readonly DirectoryHandle _directory;
    private readonly IBlobUpload _upload;
    private ScratchDirectory? _scratch;
    private StagedDumps? _owner;

    private StagingCheckpoint(StoreStack store, ILogger log, string? name, DirectoryHandle directory, ScratchDirectory? scratch, IBlobUpload upload,
        PackWriter pack)
    {
        (_store, _log, _name, _directory, _scratch, _upload, Pack) = (store, log, name, directory, scratch, upload, pack);
        Criu = new CriuWorkDir(directory.ProcPath, StoreLayout.DumpLogName(pack.Generation));
    }

    /// <summary>
    /// A new staging area for <paramref name="generation"/> in <paramref name="store"/>, with its pack (reusing <paramref name="known"/>).
    /// <paramref name="owner"/> hears when it is disposed.
    /// </summary>
    public static StagingCheckpoint Begin(StoreStack store, ILogger log, long generation, Dictionary<string, ChunkRef> known, ChunkCodec codec,
        StagedDumps? owner = null)
    {
        IStoreBackend backend = store.Top;
        IBlobUpload upload = backend.CreatePackUpload(StoreLayout.PackKey(generation));
        try
        {
            var pack = new PackWriter(generation, upload, known, codec);
            if (backend.HasDirectories)
            {
                string name = StoreLayout.StagingName(generation);
                DirectoryHandle inStore = store.Node.CreateLocalDirectory(name) ?? throw new IOException($"{backend.ImageDir} gave no directory for {name}");
                return new(store, log, name, inStore, scratch: null, upload, pack) { _owner = owner };
            }
            ScratchDirectory scratch = ScratchDirectory.Create($"crik-dump-{generation:D6}", fallbackParent: null);
            try
            {
                return new(store, log, name: null, scratch.Directory.OpenOrCreateDirectory("."), scratch, upload, pack) { _owner = owner };
            }
            catch
            {
                scratch.Dispose();
                throw;
            }
        }
        catch
        {
            upload.AbortQuietly(backend, log);
            upload.Dispose();
            throw;
        }
    }

    private IStoreBackend Backend => _store.Top;

    public long Generation => Pack.Generation;

    /// <summary>Where it is, for messages.</summary>
    public string Path => _directory.Path;

    /// <summary>The directory CRIU writes the images into (a path to the directory crik holds open).</summary>
    public string ImagesDir => _directory.ProcPath;

    /// <summary>CRIU's work directory and log name for the dump; the log ends up at <see cref="LogPath"/>.</summary>
    public CriuWorkDir Criu { get; }

    /// <summary>Where CRIU's log of this dump is kept once the dump is committed or abandoned.</summary>
    public string LogPath => $"{Backend.ImageDir.TrimEnd('/')}/{StoreLayout.LogDir}/{Criu.LogName}";

    /// <summary>Where the images CRIU streams through crik go: new chunks into this generation's pack.</summary>
    public PackWriter Pack { get; }

    internal DirectoryHandle Directory => _directory;

    /// <summary>How this staging area is committed: by renaming its directory in the store, or by writing its manifest last.</summary>
    private StagingCommit Commit => _name is null ? StagingCommit.ManifestWrittenLast : StagingCommit.Rename;

    /// <summary>Moves CRIU's log (and what criu printed) into logs/ (<see cref="CriuLogs"/>); failures are warnings.</summary>
    public void KeepLog() => CriuLogs.Keep(_store, _log, _directory, Criu.LogName);

    /// <summary>
    /// Deletes the scratch directory on the node, if any, and nothing else: the store that began this staging area
    /// goes (crik exits) while the dump is still under way, and its upload is left to the store's clean-up.
    /// </summary>
    internal void LeaveBehind() => Interlocked.Exchange(ref _scratch, null)?.Dispose();

    public void Dispose()
    {
        Pack.Dispose();
        _directory.Dispose();
        LeaveBehind();
        Interlocked.Exchange(ref _owner, null)?.Ended(this);
    }

    // Seal, publish or abandon: the steps that end a staging area, in terms of the backend's primitives.

    /// <summary>
    /// Everything of the staged dump but its manifest goes to stable storage: the pack, and the files CRIU and crik
    /// left beside it (made private; sealed into chunks when <see cref="StagedDump.SealsFilesIntoChunks"/> says so,
    /// else flushed with the file system, the pack included, while they are checksummed). Returns those files as
    /// the manifest lists them, and the bytes written for this generation.
    /// </summary>
    public (List<ManifestFile> Files, long WrittenBytes) Seal(ChunkCodec codec)
    {
        if (_name is { } name)
        {
            _store.Node.MakePrivate(name);
        }
        List<ManifestFile> sealedFiles = StagedDump.SealsFilesIntoChunks(Commit, encrypted: codec.KeyId is not null) ? StagedFiles.Seal(_directory, Pack) : [];
        List<ManifestFile> inDirectory = Commit == StagingCommit.Rename ? FlushAndDescribe() : [];
        _upload.Complete();
        return ([.. sealedFiles, .. inDirectory], Pack.WrittenBytes + inDirectory.Sum(f => f.Size));
    }

    /// <summary>
    /// Makes the staged generation visible as <paramref name="committedName"/> with its manifest, written last: the
    /// commit point. <paramref name="whyNot"/> is asked just before it; a reason abandons the commit (this throws).
    /// Throws only when the generation is not committed.
    /// </summary>
    public void Publish(string committedName, byte[] manifest, string? mac, Func<string?> whyNot)
    {
        if (_name is not { } name)
        {
            new ManifestCommit(_store, _log).Publish(Generation, committedName, manifest, mac, whyNot);
            return;
        }
        if (mac is not null)
        {
            WriteDurably(Manifest.MacFileName, Encoding.ASCII.GetBytes(mac + "\n"));
        }
        WriteDurably(Manifest.FileName, manifest);
        _directory.Sync();
        if (whyNot() is { } reason)
        {
            throw new IOException(reason);
        }
        bool renamed;
        try
        {
            renamed = Backend.RenameNoReplace(name, committedName);
        }
        catch (IOException e) when (e.HResult == (int)Errno.ENOENT)
        {
            // Over NFS a rename whose reply was lost is sent again, and fails (the source is gone) though the first one moved it.
            // Any other failure is an answer: the rename did not happen.
            new ManifestCommit(_store, _log).Settle($"{committedName}/{Manifest.FileName}", manifest, e, Generation);
            return;
        }
        if (!renamed)
        {
            throw new IOException($"{Backend.ImageDir.TrimEnd('/')}/{committedName} exists already, so this checkpoint is not committed");
        }
    }

    /// <summary>
    /// Removes the staging area of a dump that will not be committed, keeping CRIU's log, and its pack as
    /// <see cref="StagedDump.WhenAbandoned"/> says; failures are warnings.
    /// </summary>
    public void Abandon()
    {
        using IDisposable? grace = _store.Within(AbandonGrace);
        KeepLog();
        if (_name is { } name)
        {
            try
            {
                Backend.Delete(name);
            }
            catch (IOException e)
            {
                _log.Warning("Could not remove the failed checkpoint's staging directory {Dir}: {Error}", Path, e.Message);
            }
        }
        switch (StagedDump.WhenAbandoned(Commit, _upload.Completed))
        {
            case AbandonedPack.Abort:
                _upload.AbortQuietly(Backend, _log);
                break;
            case AbandonedPack.Delete:
                DeletePack();
                break;
        }
        Dispose();
    }

    /// <summary>The images go to disk while they are checksummed (both read what CRIU left in the page cache).</summary>
    private List<ManifestFile> FlushAndDescribe()
    {
        Task flushImages = Task.Run(_directory.SyncFileSystemAndSelf);
        List<ManifestFile> files = FileDigest.DescribeAll(_directory, FileDigest.FilesBelow(_directory));
        flushImages.GetAwaiter().GetResult();
        return files;
    }

    private void DeletePack()
    {
        Pack.Dispose();
        string key = StoreLayout.PackKey(Generation);
        try
        {
            Backend.Delete(key);
        }
        catch (IOException e)
        {
            _log.Warning("Could not remove the failed checkpoint's pack {Pack}: {Error}", $"{Backend.ImageDir.TrimEnd('/')}/{key}", e.Message);
        }
    }

    private void WriteDurably(string name, byte[] content)
    {
        using var file = _directory.CreateFile(name);
        RandomAccess.Write(file, content, 0);
        UnlockedFile.Sync(file, _directory.PathOf(name));
    }
}

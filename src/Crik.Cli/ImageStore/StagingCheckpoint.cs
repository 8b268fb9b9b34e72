using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// A dump in progress, the same for every backend: a new private directory that only crik and the CRIU it runs write
/// into, and this generation's pack, written as CRIU dumps (<see cref="IStoreBackend.CreateUpload"/>). In a store with
/// directories the directory is in the store (<c>.staging-NNNNNN-*</c>) and the commit renames it; in object storage it
/// is a scratch directory on the node, whose files are sealed into the pack, and the commit writes the manifest last
/// (<see cref="ManifestCommit"/>). Finish it with <see cref="GenerationStore.Commit"/> or <see cref="GenerationStore.Abandon"/>.
/// </summary>
internal sealed partial class StagingCheckpoint : IDisposable
{
    private readonly IStoreBackend _backend;
    private readonly StoreRequests _requests;
    private readonly ILogger _log;
    private readonly string? _name;
    private readonly DirectoryHandle _directory;
    private readonly IBlobUpload _upload;
    private ScratchDirectory? _scratch;
    private Action<StagingCheckpoint>? _ended;

    private StagingCheckpoint(IStoreBackend backend, StoreRequests requests, ILogger log, string? name, DirectoryHandle directory,
        ScratchDirectory? scratch, IBlobUpload upload, PackWriter pack)
    {
        (_backend, _requests, _log, _name, _directory, _scratch, _upload, Pack) = (backend, requests, log, name, directory, scratch, upload, pack);
        Criu = new CriuWorkDir(directory.ProcPath, StoreLayout.DumpLogName(pack.Generation));
        LogPath = $"{backend.ImageDir.TrimEnd('/')}/{StoreLayout.LogDir}/{Criu.LogName}";
    }

    /// <summary>
    /// A new staging area for <paramref name="generation"/>, with its pack (reusing <paramref name="known"/>).
    /// <paramref name="ended"/> hears when it is disposed.
    /// </summary>
    public static StagingCheckpoint Begin(IStoreBackend backend, StoreRequests requests, ILogger log, long generation,
        Dictionary<string, ChunkRef> known, ChunkCodec codec, Action<StagingCheckpoint>? ended = null)
    {
        IBlobUpload upload = backend.CreateUpload(StoreLayout.PackKey(generation));
        try
        {
            var pack = new PackWriter(generation, upload, known, codec);
            if (backend.HasDirectories)
            {
                string name = StoreLayout.StagingName(generation);
                DirectoryHandle inStore = backend.Node.CreateLocalDirectory(name) ?? throw new IOException($"{backend.ImageDir} gave no directory for {name}");
                return new(backend, requests, log, name, inStore, scratch: null, upload, pack) { _ended = ended };
            }
            ScratchDirectory scratch = ScratchDirectory.Create($"crik-dump-{generation:D6}", fallbackParent: null);
            try
            {
                return new(backend, requests, log, name: null, scratch.Directory.OpenOrCreateDirectory("."), scratch, upload, pack) { _ended = ended };
            }
            catch
            {
                scratch.Dispose();
                throw;
            }
        }
        catch
        {
            upload.Abort();
            upload.Dispose();
            throw;
        }
    }

    public long Generation => Pack.Generation;

    /// <summary>Where it is, for messages.</summary>
    public string Path => _directory.Path;

    /// <summary>The directory CRIU writes the images into (a path to the directory crik holds open).</summary>
    public string ImagesDir => _directory.ProcPath;

    /// <summary>CRIU's work directory and log name for the dump; the log ends up at <see cref="LogPath"/>.</summary>
    public CriuWorkDir Criu { get; }

    /// <summary>Where CRIU's log of this dump is kept once the dump is committed or abandoned.</summary>
    public string LogPath { get; }

    /// <summary>Where the images CRIU streams through crik go: new chunks into this generation's pack.</summary>
    public PackWriter Pack { get; }

    internal DirectoryHandle Directory => _directory;

    /// <summary>How this staging area is committed: by renaming its directory in the store, or by writing its manifest last.</summary>
    private StagingCommit Commit => _name is null ? StagingCommit.ManifestWrittenLast : StagingCommit.Rename;

    /// <summary>Moves CRIU's log (and what criu printed) into logs/ (<see cref="CriuLogs"/>); failures are warnings.</summary>
    public void KeepLog() => CriuLogs.Keep(_backend, _log, _directory, Criu.LogName);

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
        Interlocked.Exchange(ref _ended, null)?.Invoke(this);
    }
}

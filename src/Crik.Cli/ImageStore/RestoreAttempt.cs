using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// One restore of a committed generation, recorded before CRIU runs. CRIU works in
/// <see cref="Work"/>, a fresh private directory crik made for this attempt, never in the
/// generation's own. Finish it with <see cref="GenerationStore.RestoreSucceeded"/>,
/// <see cref="GenerationStore.RestoreFailed"/> or, when CRIU never ran, <see cref="GenerationStore.CancelRestore"/>.
/// </summary>
/// <param name="directory">Where the generation's files are (its directory on a volume; in object storage, the work directory).</param>
/// <param name="store">Where CRIU's log is kept (<see cref="CriuLogs"/>).</param>
/// <param name="scratch">The work directory's scratch directory, deleted once the attempt is disposed (<see cref="RestoreWorkspace"/>).</param>
internal sealed class RestoreAttempt(CommittedCheckpoint checkpoint, DirectoryHandle directory, DirectoryHandle work,
    string logName, StoreStack store, ILogger log, ScratchDirectory scratch) : IDisposable
{
    private int _disposed;

    public CommittedCheckpoint Checkpoint => checkpoint;

    /// <summary>Where the checkpoint is, for messages.</summary>
    public string Path => checkpoint.Directory;

    /// <summary>The directory CRIU reads a streamed generation's images from: the work directory, where crik's image streamer listens.</summary>
    public string ImagesDir => work.ProcPath;

    /// <summary>The directory of a generation whose images are files beside its manifest (written before crik streamed images).</summary>
    public string FilesDir => directory.ProcPath;

    /// <summary>CRIU's work directory and log name; the log ends up at <see cref="LogPath"/>.</summary>
    public CriuWorkDir Criu => new(work.ProcPath, logName);

    /// <summary>The pid file's name, relative to the work directory.</summary>
    public static string PidFileName => StoreLayout.RestorePidFile;

    /// <summary>Where CRIU's restore log is kept.</summary>
    public string LogPath => $"{store.Top.ImageDir.TrimEnd('/')}/{StoreLayout.LogDir}/{logName}";

    internal DirectoryHandle Directory => directory;

    internal DirectoryHandle Work => work;

    /// <summary>Moves CRIU's log (and what criu printed) from the work directory into logs/; failures are warnings.</summary>
    public void KeepLog() => CriuLogs.Keep(store, log, work, logName);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (!ReferenceEquals(directory, work))
            {
                directory.Dispose();
            }
            work.Dispose();
            scratch.Dispose();
        }
    }
}

using Crik.Cli.Criu;
using Crik.Cli.Interop;

namespace Crik.Cli.ImageStore;

/// <summary>
/// One restore of a checkpoint that the store has already retired (moved to <c>retired/</c>, so it
/// is never restored twice). Finish it with <see cref="CheckpointStore.RestoreSucceeded"/>,
/// <see cref="CheckpointStore.RestoreFailed"/> or, when CRIU never ran, <see cref="CheckpointStore.Reinstate"/>.
/// </summary>
/// <param name="ended">Runs once, when the attempt is disposed (a store's clean-up of what it made for the attempt).</param>
internal sealed class RestoreAttempt(CommittedCheckpoint checkpoint, DirectoryHandle directory, IReadOnlyList<string> retired,
    string logName, string logPath, Action? ended = null) : IDisposable
{
    private int _disposed;

    public CommittedCheckpoint Checkpoint => checkpoint;

    /// <summary>Where the checkpoint is now, for messages.</summary>
    public string Path => directory.Path;

    /// <summary>The directory CRIU reads the images from (a path to the directory crik holds open).</summary>
    public string ImagesDir => directory.ProcPath;

    /// <summary>CRIU's work directory and log name; the log ends up at <see cref="LogPath"/>.</summary>
    public CriuWorkDir Criu => new(directory.ProcPath, logName);

    /// <summary>The pid file's name, relative to the work directory.</summary>
    public static string PidFileName => StoreLayout.RestorePidFile;

    /// <summary>Where CRIU's restore log is kept.</summary>
    public string LogPath => logPath;

    internal DirectoryHandle Directory => directory;

    /// <summary>The names moved to retired/ for this attempt: the checkpoint and every older one.</summary>
    internal IReadOnlyList<string> Retired => retired;

    public void Dispose()
    {
        directory.Dispose();
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            ended?.Invoke();
        }
    }
}

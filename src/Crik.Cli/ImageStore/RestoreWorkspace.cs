using Crik.Cli.Interop;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The private scratch work directory of a restore (CRIU's log, pid file and statistics, and the image
/// streamer's socket), made the same way for both backends, never in the generation's own directory,
/// where a planted link could redirect what CRIU writes. It goes when the attempt ends.
/// </summary>
internal static class RestoreWorkspace
{
    /// <param name="files">The generation's own directory, when its files are on a volume (the attempt then owns it); null when everything is streamed.</param>
    /// <param name="fallbackParent">Where to make the work directory when the node's temporary directory cannot be written; null to fail instead.</param>
    /// <param name="logPath">Where CRIU's log is kept, for messages.</param>
    /// <param name="keepLog">Moves CRIU's log from the work directory to where it is kept.</param>
    public static RestoreAttempt Open(CommittedCheckpoint checkpoint, string logName, DirectoryHandle? files, DirectoryHandle? fallbackParent,
        string logPath, Action<DirectoryHandle, string> keepLog)
    {
        ScratchDirectory scratch;
        try
        {
            scratch = ScratchDirectory.Create($"crik-restore-{checkpoint.Manifest.Generation:D6}", fallbackParent);
        }
        catch
        {
            files?.Dispose();
            throw;
        }
        try
        {
            DirectoryHandle work = scratch.Directory.OpenOrCreateDirectory(".");
            // Whichever way the attempt ends, even by an exception between here and its end, its work directory goes with it.
            return new RestoreAttempt(checkpoint, files ?? work, work, logName, logPath, keepLog, ended: scratch.Dispose);
        }
        catch
        {
            files?.Dispose();
            scratch.Dispose();
            throw;
        }
    }
}

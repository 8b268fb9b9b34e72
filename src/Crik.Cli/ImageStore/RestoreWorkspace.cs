using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Opens a restore of a committed generation, the same way for every backend: where its files are (its
/// directory on a volume, none when everything is streamed), a private scratch work directory (CRIU's log, pid
/// file and statistics, and the image streamer's socket), never in the generation's own directory, where a
/// planted link could redirect what CRIU writes, and where CRIU's log is kept. The work directory goes when the attempt ends.
/// </summary>
internal static class RestoreWorkspace
{
    public static RestoreAttempt Open(StoreStack store, ILogger log, CommittedCheckpoint checkpoint, string logName)
    {
        IStoreBackend backend = store.Top;
        DirectoryHandle? files = backend.HasDirectories
            ? store.Node.OpenLocalDirectory(checkpoint.Name) ?? throw new IOException($"checkpoint {checkpoint.Name} vanished from {backend.ImageDir} before its restore")
            : null;
        ScratchDirectory scratch;
        try
        {
            // Where the node's temporary directory cannot be written, the image directory when it is on the node.
            using DirectoryHandle? fallbackParent = store.Node.OpenLocalDirectory("");
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
            return new RestoreAttempt(checkpoint, files ?? work, work, logName, store, log, scratch);
        }
        catch
        {
            files?.Dispose();
            scratch.Dispose();
            throw;
        }
    }
}

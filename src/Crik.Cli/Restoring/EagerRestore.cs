using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.Logging;
using Crik.Cli.Model;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// Restores with all the app's memory first: from crik's image stream, or from image files written
/// out first when this node cannot map the app's memory from a stream (<see cref="ImageFilesRestore"/>).
/// A generation of image files is restored from its own files.
/// </summary>
internal sealed class EagerRestore(CriuRestore criu, ImageFilesRestore imageFiles, Leftovers leftovers, ILogger log)
{
    public const string FromStream = "from CRIU's stream", FromFiles = "from image files";

    /// <summary>CRIU's result, what did not arrive whole (null when all did), and where CRIU read the images (<see cref="FromStream"/>, <see cref="FromFiles"/>).</summary>
    /// <param name="allowed">The largest private memory area this node lets CRIU map writable.</param>
    public async Task<(CriuResult Result, NotWhole? NotWhole, string From)> RunAsync(RestoreRun run, long allowed)
    {
        Manifest manifest = run.Manifest;
        bool streamed = manifest.Files.Any(f => f.IsStreamed);
        if (RestoreMethod.FromFilesAtOnce(manifest, allowed))
        {
            log.Information("Checkpoint {Generation}: the app has a {Area} memory area, more than this node lets CRIU map from a stream "
                + "({Allowed}); restoring it from image files", manifest.Generation, Size.Format(manifest.LargestPrivateArea), Size.Format(allowed));
            return await FromFilesAsync(run).ConfigureAwait(false);
        }
        (CriuResult restore, NotWhole? notWhole) = await criu.RunAsync(run, streamed ? null : run.Attempt.FilesDir).ConfigureAwait(false);
        if (!streamed || restore.Succeeded || !RestoreMethod.RetryFromFiles(restore.FirstError, imagesArrivedWhole: notWhole is null))
        {
            return (restore, notWhole, streamed ? FromStream : FromFiles);
        }
        // Nothing of the app ran: CRIU failed while laying out its memory. Once the failed tree is gone,
        // the same restore runs again from image files.
        await leftovers.ForgetFailedTreeAsync(run).ConfigureAwait(false);
        log.Information("Checkpoint {Generation}: CRIU cannot restore this app from a stream ({Error}); restoring it from image files",
            manifest.Generation, restore.FirstError);
        return await FromFilesAsync(run).ConfigureAwait(false);
    }

    private async Task<(CriuResult Result, NotWhole? NotWhole, string From)> FromFilesAsync(RestoreRun run)
    {
        (CriuResult restore, NotWhole? notWhole) = await imageFiles.RunAsync(run).ConfigureAwait(false);
        return (restore, notWhole, FromFiles);
    }
}

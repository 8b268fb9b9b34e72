// Restoring/ owns choosing a checkpoint to restore and bringing the app back as crik's child.
using System.Diagnostics;
using System.Globalization;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.Processes;
using Crik.Cli.Supervision;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// Restores the newest whole checkpoint, so that the app continues where it stopped, as crik's child.
/// A checkpoint that cannot be restored is set aside (never deleted), so it can never cause a crash loop.
/// </summary>
internal sealed class Restorer(CrikConfig config, CheckpointStore store, CriuRunner criu, ChildReaper reaper, ILogger log) : IAppRestorer
{
    /// <summary>The restored app; null when there is nothing to restore or the restore failed (start fresh).</summary>
    public async Task<RunningApp?> TryRestoreAsync(IReadOnlyList<string> command)
    {
        // An old pod may still be writing a checkpoint into a shared volume: wait for it first.
        using var directoryLock = store.TryLock(config.CheckpointTimeout + TimeSpan.FromSeconds(5));
        if (directoryLock is null)
        {
            log.Warning("{Dir} is still locked by another crik; not restoring, starting fresh", store.ImageDir);
            return null;
        }
        CommittedCheckpoint? checkpoint = store.FindRestorable();
        if (checkpoint is null)
        {
            log.Information("No checkpoint to restore in {Dir}; starting the app fresh", store.ImageDir);
            return null;
        }
        Manifest manifest = checkpoint.Manifest;
        if (!manifest.Command.SequenceEqual(command))
        {
            log.Warning("Checkpoint {Generation} was taken of {Old}, not {New}; restoring it all the same",
                manifest.Generation, string.Join(' ', manifest.Command), string.Join(' ', command));
        }
        var clock = Stopwatch.StartNew();
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string logFile = Path.Combine(store.LogDir, $"restore-{manifest.Generation:D6}-{stamp}.log");
        string pidFile = Path.Combine(store.LogDir, $"restore-{manifest.Generation:D6}.pid");
        Directory.CreateDirectory(store.LogDir);
        File.Delete(pidFile);

        List<int> taken = ProcessTree.InUse(manifest.TreePids);
        if (taken.Count > 0)
        {
            return Failed(checkpoint, clock, $"PIDs {string.Join(", ", taken)} that the app needs are taken by other processes in this container", logFile, command);
        }
        AppFiles.PutBack(manifest.AdditionalPaths, checkpoint.Directory);
        log.Information("Restoring checkpoint {Generation} ({Size}, taken {Created:u}) from {Dir}",
            manifest.Generation, Size.Format(manifest.ImageBytes), manifest.CreatedAt, checkpoint.Directory);

        TrackedChild app = reaper.Expect(manifest.RootPid);
        var arguments = CriuArguments.Restore(checkpoint.Directory, pidFile, logFile, manifest.ExternalMounts,
            CriuArguments.InheritedStdio(manifest.Stdio));
        CriuResult restore;
        try
        {
            restore = await criu.RunAsync(arguments, logFile, config.RestoreTimeout, keepStdio: true).ConfigureAwait(false);
        }
        catch (SpawnException e)
        {
            // The checkpoint is not at fault: keep it where it is for a container that has CRIU.
            reaper.Forget(manifest.RootPid);
            log.Error("Cannot run criu to restore checkpoint {Generation}: {Error}. The checkpoint stays in {Dir}; starting the app fresh",
                manifest.Generation, e.Message, checkpoint.Directory);
            return null;
        }
        if (!restore.Succeeded)
        {
            reaper.Forget(manifest.RootPid);
            return Failed(checkpoint, clock, restore.Describe(config.RestoreTimeout), logFile, command);
        }
        log.Information("Restored checkpoint {Generation} in {Seconds:0.00} s: the app runs again as PID {Pid}; CRIU log {Log}",
            manifest.Generation, clock.Elapsed.TotalSeconds, manifest.RootPid, logFile);
        return new RunningApp(manifest.RootPid, app.Exited, manifest.Command, manifest.Generation);
    }

    private RunningApp? Failed(CommittedCheckpoint checkpoint, Stopwatch clock, string why, string logFile, IReadOnlyList<string> command)
    {
        string movedTo = store.SetAside(checkpoint.Directory, $"restore failed: {why}");
        if (File.Exists(logFile))
        {
            File.Copy(logFile, Path.Combine(movedTo, Path.GetFileName(logFile)), overwrite: true);
        }
        string message = $"restoring checkpoint {checkpoint.Manifest.Generation} failed after {clock.Elapsed.TotalSeconds:0.00} s: {why}; "
            + $"CRIU log {logFile}; the checkpoint is set aside at {movedTo}";
        if (config.OnRestoreFailure == RestoreFailurePolicy.Fail)
        {
            throw new RestoreFailedException(message + " (onRestoreFailure: fail)");
        }
        log.Error("{Message}; starting {Command} fresh (onRestoreFailure: fresh)", message, string.Join(' ', command));
        return null;
    }
}

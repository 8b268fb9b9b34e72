using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Supervision;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Turns SIGTERM into a committed checkpoint of the app's whole tree, or, when that is not possible,
/// leaves the app running so that it gets the SIGTERM. It never leaves a half-written generation.
/// </summary>
internal sealed class Checkpointer(CrikConfig config, CheckpointStore store, CriuRunner criu, Task<string> criuVersion,
    INodeStateGate? nodeState, ILogger log) : ICheckpointTrigger
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(2);

    public async Task<bool> TryCheckpointAsync(RunningApp app)
    {
        if (nodeState is not null && !await nodeState.ShouldCheckpointAsync().ConfigureAwait(false))
        {
            return false;
        }
        using IDisposable? directoryLock = TryLock();
        if (directoryLock is null)
        {
            return false;
        }
        var clock = Stopwatch.StartNew();
        StagingCheckpoint staging;
        try
        {
            staging = store.BeginCheckpoint();
        }
        catch (IOException e)
        {
            log.Error("Not checkpointing: {Error}; the app gets SIGTERM", e.Message);
            return false;
        }
        long generation = staging.Generation;
        string logFile = staging.LogPath;
        List<int> tree = ProcessTree.PidsAndThreads(app.Pid);
        try
        {
            AppFiles.DeleteInotifyIncompatible(config.InotifyIncompatiblePaths, log);
            List<string> stdio = ProcessTree.Stdio(app.Pid);
            List<SavedFile> extraFiles = AppFiles.Save(config.AdditionalPaths, staging);
            List<ExternalMount> mounts = ExternalMounts.Present();
            log.Information("Checkpointing the app (PID {Pid}, {Count} processes and threads) as generation {Generation} in {Dir}",
                app.Pid, tree.Count, generation, store.ImageDir);

            CriuResult dump = await criu.RunAsync(CriuArguments.Dump(app.Pid, staging.ImagesDir, staging.Criu, mounts), staging.Criu, config.CheckpointTimeout)
                .ConfigureAwait(false);
            if (!dump.Succeeded)
            {
                return Failed(app, generation, staging, tree, clock, dump.Describe(config.CheckpointTimeout), logFile);
            }
            var manifest = new Manifest
            {
                Generation = generation,
                CreatedAt = DateTimeOffset.UtcNow,
                Command = app.Command,
                App = AppIdentity.Of(app.Command),
                CriuVersion = await criuVersion.ConfigureAwait(false),
                RootPid = app.Pid,
                TreePids = tree,
                Stdio = stdio,
                ExternalMounts = mounts,
                AdditionalPaths = config.AdditionalPaths,
                ExtraFiles = extraFiles,
                DumpSeconds = Math.Round(dump.Duration.TotalSeconds, 3),
            };
            CommittedCheckpoint committed = store.Commit(staging, manifest, config.KeepCheckpoints).Checkpoint;
            StopForGood(app, tree);
            log.Information("Checkpoint {Generation} committed in {Seconds:0.00} s (CRIU dump {Dump:0.00} s): {Size} in {Dir}; CRIU log {Log}",
                generation, clock.Elapsed.TotalSeconds, dump.Duration.TotalSeconds, Size.Format(committed.Manifest.ImageBytes),
                committed.Directory, logFile);
            return true;
        }
        catch (Exception e)
        {
            // Whatever went wrong, the app must not be left stopped by CRIU: resume it and let it have its SIGTERM.
            log.Debug(e, "Checkpoint {Generation} failed", generation);
            return Failed(app, generation, staging, tree, clock, e.Message, logFile);
        }
    }

    private bool Failed(RunningApp app, long generation, StagingCheckpoint staging, List<int> tree, Stopwatch clock, string why, string logFile)
    {
        Resume(app, tree);
        store.Abandon(staging);
        log.Error("Checkpoint {Generation} failed after {Seconds:0.00} s: {Why}; CRIU log {Log}. The previous checkpoint is untouched; the app keeps running and gets SIGTERM",
            generation, clock.Elapsed.TotalSeconds, why, logFile);
        return false;
    }

    /// <summary>The image directory's lock, or null (and why, logged) when crik cannot or must not checkpoint.</summary>
    private IDisposable? TryLock()
    {
        try
        {
            IDisposable? directoryLock = store.TryLock(LockWait);
            if (directoryLock is null)
            {
                log.Error("Not checkpointing: another crik holds {Dir}/.lock; the app gets SIGTERM", store.ImageDir);
            }
            return directoryLock;
        }
        catch (IOException e)
        {
            log.Error("Not checkpointing: {Error}; the app gets SIGTERM", e.Message);
            return null;
        }
    }

    /// <summary>
    /// CRIU leaves the dumped tree stopped; a failed or killed dump must not leave it so. The process
    /// group also reaches children forked after the tree was read.
    /// </summary>
    private static void Resume(RunningApp app, List<int> tree) => SignalTree(app, tree, Libc.SIGCONT);

    /// <summary>The checkpoint is on disk: the stopped tree ends here and lives on in the next pod.</summary>
    private static void StopForGood(RunningApp app, List<int> tree) => SignalTree(app, tree, Libc.SIGKILL);

    private static void SignalTree(RunningApp app, List<int> tree, int signal)
    {
        Posix.TrySignal(-app.Pid, signal);
        foreach (int pid in tree)
        {
            Posix.TrySignal(pid, signal);
        }
    }
}

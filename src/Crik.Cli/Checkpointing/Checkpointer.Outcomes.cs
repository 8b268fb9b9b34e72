using Crik.Cli.HostCompatibility;
using Crik.Cli.ImageStore;
using Crik.Cli.Logging;
using Crik.Cli.Model;
using Crik.Cli.Observing;
using Crik.Cli.Timing;

namespace Crik.Cli.Checkpointing;

// What a checkpoint comes to: the manifest it commits, and the log line and happening of its commit or failure.
internal sealed partial class Checkpointer
{
    private async Task<Manifest> ManifestOfAsync(DumpRun run, long largestArea, List<SavedFile> extraFiles) => new()
    {
        Generation = run.Generation,
        CreatedAt = DateTimeOffset.UtcNow,
        Command = run.App.Command,
        App = AppIdentity.Of(run.App.Command),
        CriuVersion = await criuVersion.Value.ConfigureAwait(false),
        Host = HostFacts.Current(),
        RootPid = run.App.Pid,
        TreePids = run.Tree,
        Stdio = run.Stdio,
        ExternalMounts = run.Mounts,
        AdditionalPaths = config.AdditionalPaths,
        ExtraFiles = extraFiles,
        Files = run.Captured!.Images,
        DumpSeconds = Math.Round(run.Dump!.Duration.TotalSeconds, 3),
        LargestPrivateArea = largestArea,
        FirstTouched = run.App.FirstTouched?.Invoke() is { Count: > 0 } touched ? touched : null,
    };

    private void LogCommitted(DumpRun run)
    {
        CommittedCheckpoint committed = run.Committed!;
        StageClock stages = run.Stages;
        log.Information(new Happening.CheckpointCommitted(run.Generation, run.Reason.Label(), committed.Manifest.ImageBytes,
                committed.Manifest.WrittenBytes, run.Clock.Elapsed, run.Dump!.Duration),
            "Checkpoint {Generation} committed in {Seconds:0.00} s (CRIU dump {Dump:0.00} s): {Size}, of which {Written} written "
            + "(the rest shared with earlier checkpoints), in {Dir}; CRIU log {Log}. Stages: {Stages}{Streamed}; crik's CPU {Cpu}",
            run.Generation, run.Clock.Elapsed.TotalSeconds, run.Dump!.Duration.TotalSeconds, Size.Format(committed.Manifest.ImageBytes),
            Size.Format(committed.Manifest.WrittenBytes), committed.Directory, run.Staging.LogPath, stages.ToString(),
            run.Captured?.Times is { } streamed ? $"; streamed {streamed}" : "", StageClock.Milliseconds(stages.CrikCpu));
    }

    private CheckpointOutcome.NotTaken Failed(DumpRun run, string why)
    {
        // The app goes on before the clean-up, which a store that stopped answering makes last seconds more.
        run.Attempt.GiveUp();
        run.Attempt.LetFillGoOn();
        LogFailed(run, why);
        store.Abandon(run.Staging);
        return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
    }

    private void LogFailed(DumpRun run, string why) =>
        log.Error(new Happening.CheckpointFailed(run.Generation, run.Reason.Label(), run.Clock.Elapsed, $"{why} (CRIU log {run.Staging.LogPath})"),
            "Checkpoint {Generation} failed after {Seconds:0.00} s: {Why}; CRIU log {Log}. The previous checkpoint is untouched; {Then}",
            run.Generation, run.Clock.Elapsed.TotalSeconds, why, run.Staging.LogPath, run.Attempt.ThenTheApp);

    /// <summary>Another crik committed first. Not GiveUp: the app must not run on (nor act on a SIGTERM) while another crik runs it.</summary>
    private CheckpointOutcome.NotTaken Superseded(DumpRun run, SupersededException e)
    {
        (long generation, StagingCheckpoint staging) = (run.Generation, run.Staging);
        log.Error(new Happening.CheckpointFailed(generation, run.Reason.Label(), run.Clock.Elapsed,
                $"{e.Message}; another pod runs the app or did, so this copy is killed"),
            "Checkpoint {Generation} is not committed: {Error}. Another pod runs the app or did, so this copy is killed", generation, e.Message);
        store.Abandon(staging);
        return new CheckpointOutcome.NotTaken(AppMayBeStopped: true, Superseded: true);
    }
}

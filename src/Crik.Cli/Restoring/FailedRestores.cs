using System.Diagnostics;
using Crik.Cli.Configuration;
using Crik.Cli.Decisions;
using Crik.Cli.Observing;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// onRestoreFailure (<see cref="RestoreFailure"/>): after a checkpoint could not be restored, the app starts
/// fresh, or crik throws <see cref="RestoreFailedException"/> so that nothing starts.
/// </summary>
internal sealed class FailedRestores(CrikConfig config, ILogger log)
{
    /// <summary>
    /// A checkpoint this node cannot run: CRIU never sees it, and it stays where it is (it is whole,
    /// and a node like the one it was taken on can restore it).
    /// </summary>
    public RestoreOutcome NotOnThisNode(long generation, string mismatch, string directory, IReadOnlyList<string> command)
    {
        string message = $"not restoring checkpoint {generation} on this node: {mismatch}. It stays in {directory} for a node that has them "
            + "(onCpuMismatch: restore restores it anyway)";
        return Fresh(message, command, $"checkpoint {generation} cannot run on this node and stays for one that can (onRestoreFailure: fresh)", failed: null);
    }

    /// <summary>
    /// A checkpoint whose restore failed, set aside at <paramref name="movedTo"/>: nothing is said yet, as an older checkpoint
    /// is restored next where there is one (<see cref="TryingOlder"/>), and onRestoreFailure applies only where there is none
    /// (<see cref="NoneOlder"/>).
    /// </summary>
    /// <param name="clock">Started when the restore began.</param>
    /// <param name="logFile">CRIU's log of the restore, when CRIU ran.</param>
    /// <param name="filesPutBack">Its saved files were (or may have been) written at the app's paths before it failed.</param>
    public static RestoreOutcome Failed(long generation, Stopwatch clock, string why, string? logFile, string movedTo, bool filesPutBack)
    {
        string message = $"restoring checkpoint {generation} failed after {clock.Elapsed.TotalSeconds:0.00} s: {why}; "
            + (logFile is null ? "" : $"CRIU log {logFile}; ") + $"the checkpoint is set aside at {movedTo}";
        return RestoreOutcome.Failed(new SetAsideRestore(message, $"checkpoint {generation} could not be restored and is set aside (onRestoreFailure: fresh)",
            new Happening.RestoreFailed(generation, Lazily: false, message), filesPutBack));
    }

    /// <summary>A checkpoint set aside, and an older one to restore instead: its work is not given up for the newer one's fault.</summary>
    public void TryingOlder(SetAsideRestore failed, long older) =>
        log.Error(failed.Failed, "{Message}; restoring checkpoint {Older}, the newest one left, instead", failed.Message, older);

    /// <summary>
    /// A checkpoint set aside after its saved files were put back, and an older one left: restored in this container, the older
    /// app would run among files it never saw (a newer database's journal beside its own). crik exits 125, and the container's
    /// next start, from its image, restores the older one.
    /// </summary>
    public static RestoreFailedException OlderInTheNextContainer(SetAsideRestore failed, long older)
    {
        string message = $"{failed.Message}. Checkpoint {older} is left, but checkpoint {failed.Failed.Generation}'s saved files are already "
            + $"back at the app's paths, and checkpoint {older}'s app never saw them: crik starts nothing and exits 125, so that Kubernetes "
            + $"starts the container again from its image, and restores checkpoint {older} then";
        LoggedHappenings.WithoutLine(failed.Failed); // the exception is the line: crik's last, as it exits
        return new RestoreFailedException(message);
    }

    /// <summary>A checkpoint set aside, and none older left to restore: onRestoreFailure applies.</summary>
    public RestoreOutcome NoneOlder(SetAsideRestore failed, IReadOnlyList<string> command) => Fresh(failed.Message, command, failed.WhyFresh, failed.Failed);

    /// <summary>
    /// This node had no room for what the restore writes: the checkpoint is whole and stays where it is, and the
    /// attempt does not count against restoreAttempts.
    /// </summary>
    /// <param name="clock">Started when the restore began.</param>
    /// <param name="counts">The attempt counts against restoreAttempts (<see cref="RestoreBlame.Unproven"/>).</param>
    public RestoreOutcome BecauseOfThisNode(long generation, Stopwatch clock, string why, string directory, IReadOnlyList<string> command, bool counts = false)
    {
        (string lacks, string fix) = RestoreBlames.OfNode(why);
        string message = $"restoring checkpoint {generation} stopped after {clock.Elapsed.TotalSeconds:0.00} s because this node {lacks}: {why}. "
            + (counts
                ? $"The checkpoint stays in {directory} and this attempt counts against restoreAttempts (a failure that repeats on every pod sets it aside): {fix}"
                : $"The checkpoint stays in {directory} and this attempt does not count against restoreAttempts: {fix}, and the next pod restores it");
        return Fresh(message, command, $"checkpoint {generation} could not be restored because this node {lacks}, and stays (onRestoreFailure: fresh)",
            new Happening.RestoreFailed(generation, Lazily: false, message));
    }

    /// <summary>
    /// crik's own code failed in a way nobody expected: the checkpoint is whole as far as anyone knows, so it stays where it
    /// is, the attempt does not count against restoreAttempts, and crik starts nothing and exits 125 whatever
    /// onRestoreFailure says (a fresh start would give up the checkpoint's work over crik's bug).
    /// </summary>
    /// <param name="clock">Started when the restore began.</param>
    public static RestoreFailedException BecauseOfCrik(long generation, Stopwatch clock, string why, string directory, string criuLog)
    {
        string message = $"restoring checkpoint {generation} stopped after {clock.Elapsed.TotalSeconds:0.00} s on a bug in crik, not in the checkpoint. "
            + $"The checkpoint stays in {directory} for the next pod and this attempt does not count against restoreAttempts; crik starts nothing "
            + $"and exits 125 so that Kubernetes starts the pod again (a fresh start would give up its work). CRIU log {criuLog}. What failed: {why}";
        LoggedHappenings.WithoutLine(new Happening.RestoreFailed(generation, Lazily: false, message)); // the exception is the line: crik's last, as it exits
        return new RestoreFailedException(message);
    }

    /// <param name="failed">The moment, when the restore failed (a checkpoint for another node is no failure).</param>
    private RestoreOutcome Fresh(string message, IReadOnlyList<string> command, string whyFresh, Happening.RestoreFailed? failed)
    {
        if (RestoreFailure.Decide(config.OnRestoreFailure) == AfterRestoreFailure.StartNothing)
        {
            if (failed is not null)
            {
                LoggedHappenings.WithoutLine(failed); // the exception is the line: crik's last, as it exits
            }
            throw new RestoreFailedException(message + " (onRestoreFailure: fail)");
        }
        log.Error(failed, "{Message}; starting {Command} fresh (onRestoreFailure: fresh)", message, string.Join(' ', command));
        return RestoreOutcome.Fresh(whyFresh);
    }
}

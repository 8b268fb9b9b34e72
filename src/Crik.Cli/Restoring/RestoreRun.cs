using System.Diagnostics;
using Crik.Cli.ImageStore;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Timing;

namespace Crik.Cli.Restoring;

/// <summary>One restore of a checkpoint under way: what each step reads, and the app's PID the reaper watches for.</summary>
/// <param name="clock">Started when the restore began, for how long it took or failed after.</param>
internal sealed class RestoreRun(CommittedCheckpoint checkpoint, RestoreAttempt attempt, StageClock stages, Stopwatch clock, TrackedChild app)
{
    public CommittedCheckpoint Checkpoint => checkpoint;

    public Manifest Manifest => checkpoint.Manifest;

    public RestoreAttempt Attempt => attempt;

    public StageClock Stages => stages;

    public Stopwatch Clock => clock;

    /// <summary>Whether saved files of this checkpoint were (or may have been) written at the app's paths.</summary>
    public bool FilesPutBack { get; set; }

    /// <summary>The app's root process as the reaper watches for it; a new one once a failed try's tree is forgotten.</summary>
    public TrackedChild App { get; set; } = app;
}

using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.WriteTracking;

namespace Crik.Cli.Checkpointing;

/// <summary>Takes a checkpoint of the running app: when a SIGTERM means "checkpoint", or periodically.</summary>
internal interface ICheckpointer
{
    /// <summary>
    /// Takes a checkpoint within the checkpoint budget; for a SIGTERM, first decides whether it means one.
    /// It never resumes or kills the app: it answers, and the supervisor acts on the answer. It may
    /// throw before the commit point (the supervisor then resumes the app), never after it.
    /// </summary>
    /// <param name="host">The supervisor's side of this checkpoint (<see cref="ICheckpointHost"/>): told once the app is
    /// captured (an app that runs on may be resumed then), when the checkpoint gives up once CRIU is done with the app
    /// (the app may be resumed, and get its SIGTERM, before the slow clean-up), asked why not commit just before the
    /// commit point, and told before a second dump of a lazily restored app whose first dump was dropped. Null for a
    /// checkpoint nobody hosts: the app is left stopped until the answer, and a dump that cannot take the memory as
    /// it is fails instead of dumping again.</param>
    /// <param name="spent">What was spent of checkpointBudget before the checkpoint began (a SIGTERM that waited for a lease in doubt).</param>
    Task<CheckpointOutcome> CheckpointAsync(RunningApp app, CheckpointReason reason, ICheckpointHost? host = null, TimeSpan spent = default);

    /// <summary>
    /// The app ended on its own after checkpoints of this run were committed: retires them (and
    /// anything older), so the finished app is never brought back. Failures are logged, not thrown.
    /// </summary>
    /// <param name="howItEnded">"exited with code 0", for the Event.</param>
    void RetireAfterOwnExit(string howItEnded);

    /// <summary>Whether crik pre-dumps the running app (preDumpInterval, on a kernel that tracks dirty memory).</summary>
    bool PreDumps { get; }

    /// <summary>Pre-dumps the running app; false when that failed (logged), and the app may need resuming. <paramref name="abort"/> stops it.</summary>
    Task<bool> PreDumpAsync(RunningApp app, CancellationToken abort);

    /// <summary>
    /// An app restored stopped on crik's fill, before it first runs: with trackWrites, its writes are tracked from here, so that
    /// its next checkpoint takes what it does not write from the checkpoint it was restored from. Never throws.
    /// </summary>
    void TrackFromRestore(RestoredMemory restored);

    /// <summary>Whether crik can hear early warnings (a node-state server is configured).</summary>
    bool HearsEarlyWarnings { get; }

    /// <summary>True once when the node turns at-risk (a checkpoint now leaves little for SIGTERM); false otherwise.</summary>
    Task<bool> NodeTurnedAtRiskAsync();
}

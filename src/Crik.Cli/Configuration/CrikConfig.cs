namespace Crik.Cli.Configuration;

/// <summary>What to do when a checkpoint cannot be restored.</summary>
internal enum RestoreFailurePolicy
{
    /// <summary>Set the checkpoint aside and start the command fresh.</summary>
    Fresh,

    /// <summary>Set the checkpoint aside and exit with crik's failure code.</summary>
    Fail,
}

/// <summary>What to do on SIGTERM when the node-state server cannot say whether the node is going away.</summary>
internal enum NodeStateErrorPolicy
{
    /// <summary>Checkpoint anyway: a needless checkpoint costs less than lost work.</summary>
    Checkpoint,

    /// <summary>Do not checkpoint; forward SIGTERM to the app.</summary>
    Skip,
}

/// <summary>
/// crik's configuration: the keys of crik's Go ConfigMaps (imageDir, nodeStateServerURL,
/// additionalPaths, inotifyIncompatiblePaths) and crik for .NET's own, with their defaults.
/// </summary>
internal sealed record CrikConfig
{
    public static readonly CrikConfig Default = new();

    /// <summary>Where checkpoints are kept; null disables checkpointing (crik is then a plain init).</summary>
    public string? ImageDir { get; init; }

    /// <summary>Base URL of the node-state server; null means every SIGTERM checkpoints.</summary>
    public Uri? NodeStateServerUrl { get; init; }

    /// <summary>Files and directories saved with each checkpoint and put back before a restore.</summary>
    public IReadOnlyList<string> AdditionalPaths { get; init; } = [];

    /// <summary>Paths deleted before each checkpoint (their inotify watches cannot be restored).</summary>
    public IReadOnlyList<string> InotifyIncompatiblePaths { get; init; } = [];

    /// <summary>How many committed checkpoints to keep, newest first.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>How long a dump may take before crik gives up and lets the app stop normally.</summary>
    public TimeSpan CheckpointTimeout { get; init; } = TimeSpan.FromSeconds(25);

    public RestoreFailurePolicy OnRestoreFailure { get; init; } = RestoreFailurePolicy.Fresh;

    /// <summary>How long crik asks the node-state server (retries included) before giving up.</summary>
    public TimeSpan NodeStateTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public NodeStateErrorPolicy OnNodeStateError { get; init; } = NodeStateErrorPolicy.Checkpoint;

    // TEMPORARY until the configuration branch lands: the derived default of checkpointBudget.
    public TimeSpan CheckpointBudget => NodeStateTimeout + CheckpointTimeout + TimeSpan.FromSeconds(3);

    public bool CheckpointingEnabled => ImageDir is not null;
}

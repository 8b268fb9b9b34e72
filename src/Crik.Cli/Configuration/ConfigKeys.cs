namespace Crik.Cli.Configuration;

/// <summary>Every key the configuration file accepts. docs/configuration.md documents each of them.</summary>
internal static class ConfigKeys
{
    public const string ImageDir = "imageDir";
    public const string NodeStateServerUrl = "nodeStateServerURL";
    public const string AdditionalPaths = "additionalPaths";
    public const string InotifyIncompatiblePaths = "inotifyIncompatiblePaths";
    public const string KeepCheckpoints = "keepCheckpoints";
    public const string CheckpointTimeout = "checkpointTimeout";
    public const string OnRestoreFailure = "onRestoreFailure";
    public const string NodeStateTimeout = "nodeStateTimeout";
    public const string NodeStateWait = "nodeStateWait";
    public const string OnNodeStateError = "onNodeStateError";
    public const string RestoreTimeout = "restoreTimeout";
    public const string CheckpointBudget = "checkpointBudget";
    public const string CarryLimit = "carryLimit";
    public const string OnCpuMismatch = "onCpuMismatch";
    public const string CheckpointInterval = "checkpointInterval";
    public const string NodeStatePollInterval = "nodeStatePollInterval";
    public const string PreDumpInterval = "preDumpInterval";
    public const string Compression = "compression";
    public const string CompressionLevel = "compressionLevel";
    public const string EncryptionKeyFile = "encryptionKeyFile";
    public const string PreviousEncryptionKeyFile = "previousEncryptionKeyFile";
    public const string RestoreAttempts = "restoreAttempts";
    public const string RestoreProbation = "restoreProbation";
    public const string LockWait = "lockWait";
    public const string LeaseDuration = "leaseDuration";
    public const string LeaseDoubtLimit = "leaseDoubtLimit";
    public const string LazyRestore = "lazyRestore";
    public const string LazyStoreWait = "lazyStoreWait";
    public const string OnStoreUnavailable = "onStoreUnavailable";
    public const string MetricsAddress = "metricsAddress";
    public const string TrackWrites = "trackWrites";
    public const string AfterRestore = "afterRestore";

    public static readonly IReadOnlyList<string> All =
    [
        ImageDir, NodeStateServerUrl, AdditionalPaths, InotifyIncompatiblePaths, KeepCheckpoints,
        CheckpointTimeout, OnRestoreFailure, NodeStateTimeout, NodeStateWait, OnNodeStateError, RestoreTimeout, CheckpointBudget,
        CarryLimit, OnCpuMismatch, CheckpointInterval, NodeStatePollInterval, Compression, CompressionLevel, EncryptionKeyFile,
        PreviousEncryptionKeyFile, PreDumpInterval, RestoreAttempts, RestoreProbation, LockWait, LeaseDuration, LeaseDoubtLimit, LazyRestore,
        LazyStoreWait, OnStoreUnavailable, MetricsAddress, TrackWrites, AfterRestore,
    ];
}

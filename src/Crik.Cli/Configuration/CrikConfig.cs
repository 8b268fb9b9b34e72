using Crik.Shared.NodeState;

namespace Crik.Cli.Configuration;

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

    /// <summary>A program crik runs after each restore, with the new pod's environment (see <see cref="Supervision.AfterRestore"/>); empty for none.</summary>
    public IReadOnlyList<string> AfterRestore { get; init; } = [];

    /// <summary>Paths deleted before each checkpoint (their inotify watches cannot be restored).</summary>
    public IReadOnlyList<string> InotifyIncompatiblePaths { get; init; } = [];

    /// <summary>
    /// The most bytes of files a new container would lack (see docs/checkpoints.md, "What crik carries for you")
    /// that a checkpoint carries; past it the checkpoint is not taken. 0 turns carrying off.
    /// </summary>
    public long CarryLimit { get; init; } = DefaultCarryLimit;

    public const long DefaultCarryLimit = 256L << 20;

    /// <summary>How many committed checkpoints to keep, newest first.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>How long a dump may take before crik gives up and lets the app stop normally.</summary>
    public TimeSpan CheckpointTimeout { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>How often to checkpoint the running app (it runs on); null for only on SIGTERM.</summary>
    public TimeSpan? CheckpointInterval { get; init; }

    /// <summary>
    /// How often to pre-dump the running app where the kernel tracks dirty memory, so a checkpoint
    /// dumps only what changed since; null for never.
    /// </summary>
    public TimeSpan? PreDumpInterval { get; init; }

    /// <summary>How often, with checkpointInterval and a node-state server, crik asks whether its node turned at-risk.</summary>
    public TimeSpan NodeStatePollInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The shortest checkpointInterval: more often, the app would spend its time stopped.</summary>
    public static readonly TimeSpan MinimumCheckpointInterval = TimeSpan.FromSeconds(1);

    public RestoreFailurePolicy OnRestoreFailure { get; init; } = RestoreFailurePolicy.Fresh;

    public CpuMismatchPolicy OnCpuMismatch { get; init; } = CpuMismatchPolicy.Refuse;

    /// <summary>How long crik asks the node-state server (retries included) before giving up.</summary>
    public TimeSpan NodeStateTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// On SIGTERM, how long the server may hold its answer while the node looks fine, for news of a shutdown that came after
    /// the SIGTERM (kubelet's graceful node shutdown stops the pods and updates the node at once); at most half of what is
    /// left of <see cref="NodeStateTimeout"/>, so the answer has time to come. Zero asks for the answer as it is.
    /// </summary>
    public TimeSpan NodeStateWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest hold the node-state server grants.</summary>
    public static readonly TimeSpan MaximumNodeStateWait = TimeSpan.FromMilliseconds(NodeStateContract.MaxWaitMs);

    public NodeStateErrorPolicy OnNodeStateError { get; init; } = NodeStateErrorPolicy.Checkpoint;

    /// <summary>
    /// How many restores in a row of one generation may end with their pod gone before the app ran for
    /// <see cref="RestoreProbation"/> (and without a newer checkpoint) before crik sets it aside.
    /// </summary>
    public int RestoreAttempts { get; init; } = DefaultRestoreAttempts;

    public const int DefaultRestoreAttempts = 3;

    /// <summary>How long a restored app must run before a pod that dies no longer counts against its generation.</summary>
    public TimeSpan RestoreProbation { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a new pod waits for another crik that holds the image directory (its app still runs) before it fails, so Kubernetes retries.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// What a pod does when it cannot tell whether the image directory holds a checkpoint: wait for up
    /// to <see cref="LockWait"/> and then exit 125 (the default), or start the app fresh at once.
    /// </summary>
    public StoreUnavailablePolicy OnStoreUnavailable { get; init; } = StoreUnavailablePolicy.Wait;

    /// <summary>How long an object storage lease lives unrenewed: a holder that died keeps others out this long.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long crik keeps its app frozen while it cannot tell whether its lease is still its own (the
    /// store does not answer its renewals) before it gives the lease up and kills the app; never less
    /// than four fifths of <see cref="LeaseDuration"/>.
    /// </summary>
    public TimeSpan LeaseDoubtLimit { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Where /metrics is served in the Prometheus text format; null (the default) serves nothing.</summary>
    public System.Net.IPEndPoint? MetricsAddress { get; init; }

    /// <summary>The shortest leaseDuration: renewals every third of it must have time to be answered.</summary>
    public static readonly TimeSpan MinimumLeaseDuration = TimeSpan.FromSeconds(3);

    /// <summary>How long a CRIU restore may take before crik gives up on the checkpoint.</summary>
    public TimeSpan RestoreTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>checkpointBudget as written in the file; null when it is derived.</summary>
    public TimeSpan? ConfiguredCheckpointBudget { get; init; }

    /// <summary>
    /// The hard bound on the whole SIGTERM path (node-state wait, lock, dump, commit). When not
    /// configured it is nodeStateTimeout + checkpointTimeout + <see cref="CheckpointBudgetSlack"/>,
    /// which is 30 s with the defaults: Kubernetes' default terminationGracePeriodSeconds.
    /// </summary>
    public TimeSpan CheckpointBudget => ConfiguredCheckpointBudget ?? NodeStateTimeout + CheckpointTimeout + CheckpointBudgetSlack;

    /// <summary>What the derived budget leaves for taking the lock and committing the checkpoint.</summary>
    public static readonly TimeSpan CheckpointBudgetSlack = TimeSpan.FromSeconds(3);

    /// <summary>The shortest duration any key accepts.</summary>
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromMilliseconds(1);

    /// <summary>The longest duration any key accepts (CancellationTokenSource and timers handle it).</summary>
    public static readonly TimeSpan MaximumDuration = TimeSpan.FromHours(24);

    /// <summary>How new chunks are compressed (none, zstd, lz4); each is kept compressed only when that makes it smaller.</summary>
    public CompressionKind Compression { get; init; } = CompressionKind.None;

    /// <summary>zstd's level (1 to 19) or lz4's acceleration (1 and up); null for the codec's default.</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>The highest zstd level crik takes: above it zstd's "ultra" levels need far more memory to read back.</summary>
    public const int MaxZstdLevel = 19;

    /// <summary>A file with the 256-bit key images are encrypted with; null for plaintext images.</summary>
    public string? EncryptionKeyFile { get; init; }

    /// <summary>A file with the key older generations were encrypted with, for reading them after a key rotation.</summary>
    public string? PreviousEncryptionKeyFile { get; init; }

    /// <summary>
    /// How long a lazily restored app waits for its image store when the store stops answering while the
    /// app's memory arrives (the app waits on the page it touched meanwhile); past it the app is killed and
    /// its checkpoint stays.
    /// </summary>
    public TimeSpan LazyStoreWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether a restored app runs before its memory has all arrived; see <see cref="LazyRestoreMode"/>.</summary>
    public LazyRestoreMode LazyRestore { get; init; } = LazyRestoreMode.Auto;

    /// <summary>Whether crik tracks which pages the app writes between its checkpoints; see <see cref="WriteTrackingMode"/>.</summary>
    public WriteTrackingMode TrackWrites { get; init; } = WriteTrackingMode.Auto;

    /// <summary>The image size from which lazyRestore: auto restores lazily: below it, a whole restore takes well under a second.</summary>
    public const long LazyRestoreFrom = 256L << 20;

    public bool CheckpointingEnabled => ImageDir is not null;
}

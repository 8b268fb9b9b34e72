using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// A commit that happened: the checkpoint, and what the clean-up after the commit point could not
/// do (each already logged as a warning). A commit never fails once the checkpoint is committed.
/// </summary>
internal sealed record CommitResult(CommittedCheckpoint Checkpoint, IReadOnlyList<string> Warnings);

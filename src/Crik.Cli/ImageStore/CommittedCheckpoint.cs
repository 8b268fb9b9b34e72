namespace Crik.Cli.ImageStore;

/// <summary>A checkpoint directory whose manifest and files verified.</summary>
/// <param name="Name">Its name in the image directory, e.g. checkpoint-000007.</param>
/// <param name="Directory">Where it is, for messages.</param>
internal sealed record CommittedCheckpoint(string Name, string Directory, Manifest Manifest);

/// <summary>
/// A commit that happened: the checkpoint, and what the clean-up after the commit point could not
/// do (each already logged as a warning). A commit never fails once the checkpoint is committed.
/// </summary>
internal sealed record CommitResult(CommittedCheckpoint Checkpoint, IReadOnlyList<string> Warnings);

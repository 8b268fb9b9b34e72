namespace Crik.Cli.ImageStore;

/// <summary>A checkpoint directory whose manifest and files verified.</summary>
internal sealed record CommittedCheckpoint(string Directory, Manifest Manifest);

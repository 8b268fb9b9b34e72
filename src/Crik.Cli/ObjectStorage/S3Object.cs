
namespace Crik.Cli.ObjectStorage;

/// <summary>An object in crik's prefix: its name below the prefix (as on a volume), its size and when it was written.</summary>
internal sealed record S3Object(string Name, long Size, DateTimeOffset Modified = default);

/// <summary>A multipart upload that was started and never completed or aborted.</summary>
internal sealed record S3Upload(string Name, string UploadId, DateTimeOffset Initiated);

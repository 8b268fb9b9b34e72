using Crik.TestSupport;

namespace Crik.Cli.Tests.Storage;

/// <summary>
/// A case of the storage contract: runs for every backend whose store is there. Object storage needs
/// s3rver, which CI installs; elsewhere those cases say why they are skipped (as the lifecycle contract's do).
/// </summary>
public sealed class SkippableStorageFactAttribute : Xunit.FactAttribute
{
    public SkippableStorageFactAttribute()
    {
        if (!Prerequisites.InCi && S3Server.Missing() is { } reason)
        {
            Skip = $"the storage contract runs against both backends, and object storage needs s3rver ({reason}); CI installs it";
        }
    }
}

using Crik.TestSupport;

namespace Crik.Cli.Tests.Lifecycle;

/// <summary>
/// A lifecycle rule: runs for every backend whose store is there. Object storage needs s3rver, which
/// CI installs; elsewhere those cases say why they are skipped.
/// </summary>
public sealed class SkippableLifecycleFactAttribute : Xunit.FactAttribute
{
    public SkippableLifecycleFactAttribute()
    {
        if (!Prerequisites.InCi && S3Server.Missing() is { } reason)
        {
            Skip = $"the lifecycle contract runs against both backends, and object storage needs s3rver ({reason}); CI installs it";
        }
    }
}

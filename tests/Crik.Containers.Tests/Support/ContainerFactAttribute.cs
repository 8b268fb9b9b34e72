using Crik.TestSupport;
using Xunit;

namespace Crik.Containers.Tests.Support;

/// <summary>
/// A test in real containers: needs root, podman and the runtime image that
/// scripts/install-containers.sh builds. Skipped with the reason elsewhere; in CI it always runs.
/// </summary>
public sealed class ContainerFactAttribute : FactAttribute
{
    public ContainerFactAttribute()
    {
        if (!Prerequisites.InCi && Missing() is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Missing()
    {
        if (!Prerequisites.IsRoot)
        {
            return "needs root for podman with runc (run the tests as root, as CI does)";
        }
        if (Prerequisites.FindOnPath("podman") is null || !Podman.ImageExists(Podman.RuntimeImage))
        {
            return $"needs podman and {Podman.RuntimeImage}: run scripts/install-containers.sh as root";
        }
        return null;
    }
}

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

    /// <summary>
    /// A capability the app needs that no container on this machine can have: the test is skipped
    /// with the reason, in CI too, because no install step can give it.
    /// </summary>
    public bool NeedsSysResource
    {
        get => _needsSysResource;
        init
        {
            _needsSysResource = value;
            if (value && !HostCapabilities.HasSysResource)
            {
                Skip = "this machine withholds CAP_SYS_RESOURCE even from root, so CRIU cannot read the rlimits of an app that "
                    + "switched to another user (postgres): \"Can't get rlimit\". A privileged pod on a real node has it";
            }
        }
    }

    private readonly bool _needsSysResource;

    internal static string? Missing()
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

/// <summary>A theory in real containers: skipped as <see cref="ContainerFactAttribute"/> is, never in CI.</summary>
public sealed class ContainerTheoryAttribute : TheoryAttribute
{
    public ContainerTheoryAttribute()
    {
        if (!Prerequisites.InCi && ContainerFactAttribute.Missing() is { } reason)
        {
            Skip = reason;
        }
    }
}

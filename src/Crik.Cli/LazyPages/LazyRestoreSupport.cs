using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Privileges;

namespace Crik.Cli.LazyPages;

/// <summary>Whether this container lets CRIU restore an app lazily, and if not, why (for the log and <c>crik check</c>).</summary>
internal static class LazyRestoreSupport
{
    public static string? Unavailable() =>
        CriuArguments.ForPrivileges(Posix.EffectiveUserId, CapabilitySet.Own().Has(Capability.SysAdmin)).Length > 0
            ? "CRIU runs with --unprivileged here (crik is not root with CAP_SYS_ADMIN), and then it does not use userfaultfd"
            : ContainerFactsReader.UserfaultProblem();
}

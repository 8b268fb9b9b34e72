using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Privileges;

namespace Crik.Cli.LazyPages;

/// <summary>Whether this container lets CRIU restore an app lazily, and if not, why (for the log and <c>crik check</c>).</summary>
internal static class LazyRestoreSupport
{
    /// <summary>Set to 1, crik acts as where userfaultfd is not allowed: for tests of the eager restore from CRIU's stream.</summary>
    public const string WithoutUserfaultVariable = "CRIK_TEST_WITHOUT_USERFAULTFD";

    public static string? Unavailable() =>
        Environment.GetEnvironmentVariable(WithoutUserfaultVariable) == "1" ? $"{WithoutUserfaultVariable}=1 says so (tests)"
        : CriuArguments.ForPrivileges(Posix.EffectiveUserId, CapabilitySet.Own().Has(Capability.SysAdmin)).Length > 0
            ? "CRIU runs with --unprivileged here (crik is not root with CAP_SYS_ADMIN), and then it does not use userfaultfd"
            : ContainerFactsReader.UserfaultProblem();
}

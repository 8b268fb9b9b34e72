using Crik.Cli.Interop;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Interop;

/// <summary>
/// What <c>crik check</c> and a restore say when userfaultfd is refused: a seccomp profile when crik
/// has CAP_SYS_PTRACE, the missing capability (with the sysctl that would not be enough) when it has not.
/// </summary>
[Trait("Category", "Unit")]
public sealed class UserfaultTests
{
    [Fact]
    public void WithCapSysPtraceOnlyASeccompProfileCanRefuseIt() =>
        Assert.Contains("seccomp profile", Userfault.WhyRefused(hasSysPtrace: true, unprivilegedSysctl: "0"), StringComparison.Ordinal);

    [Fact]
    public void WithoutItTheCapabilityIsWhatToAddAndTheSysctlIsNamed()
    {
        string why = Userfault.WhyRefused(hasSysPtrace: false, unprivilegedSysctl: "0");
        Assert.Contains("add SYS_PTRACE", why, StringComparison.Ordinal);
        Assert.Contains("vm.unprivileged_userfaultfd is 0", why, StringComparison.Ordinal);
        Assert.Contains("vm.unprivileged_userfaultfd is unknown", Userfault.WhyRefused(hasSysPtrace: false, unprivilegedSysctl: null), StringComparison.Ordinal);
    }

    [CriuFact] // root with CRIU: what CI has, and what every lazy restore test needs
    public void AsRootWithCriuThisMachineCanServeMemoryOnDemand() => Assert.Null(Crik.Cli.Privileges.ContainerFactsReader.UserfaultProblem());
}

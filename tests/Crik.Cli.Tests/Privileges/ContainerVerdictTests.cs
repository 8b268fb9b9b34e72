using Crik.Cli.HostCompatibility;
using Crik.Cli.Interop;
using Crik.Cli.Privileges;
using Xunit;

namespace Crik.Cli.Tests.Privileges;

[Trait("Category", "Unit")]
public class ContainerVerdictTests
{
    private const ulong CheckpointRestore = 1UL << 40, SysPtrace = 1UL << 19, SysAdmin = 1UL << 21, NetAdmin = 1UL << 12;

    private static readonly ContainerFacts LeastPrivileged = new(0, new CapabilitySet(CheckpointRestore | SysPtrace), SeccompMode: 0,
        PtraceScope: null, LastPidWritable: false, CriuVersion: "4.2.1", ImageDir: "/var/lib/crik", ImageDirProblem: null, Pid1: "crik");

    private static List<string> Problems(ContainerFacts facts) =>
        ContainerVerdict.Of(facts).Where(f => f.Kind == FindingKind.Problem).Select(f => f.Text).ToList();

    [Fact]
    public void TheDocumentedLeastPrivilegeHasNoProblem() => Assert.Empty(Problems(LeastPrivileged));

    [Fact]
    public void APrivilegedContainerHasNoProblemEvenWithASeccompFilter() =>
        Assert.Empty(Problems(LeastPrivileged with { Capabilities = new CapabilitySet(SysAdmin | NetAdmin), SeccompMode = 2, PtraceScope = 1 }));

    [Theory]
    [InlineData(null, "no criu on the PATH")]
    [InlineData("3.17.1", "criu 3.17.1 is too old")]
    [InlineData("4.1.1", "criu 4.1.1 is too old")]
    [InlineData("unknown", "criu unknown is too old")]
    public void CriuMustBe42OrLater(string? version, string problem) =>
        Assert.Contains(Problems(LeastPrivileged with { CriuVersion = version }), p => p.StartsWith(problem, StringComparison.Ordinal));

    [Theory]
    [InlineData("4.2")]
    [InlineData("5.0.1")]
    public void RecentCriuIsFine(string version) => Assert.Empty(Problems(LeastPrivileged with { CriuVersion = version }));

    [Fact]
    public void WithoutCheckpointRestoreOrSysAdminNothingWorks() =>
        Assert.Contains(Problems(LeastPrivileged with { Capabilities = new CapabilitySet(SysPtrace) }),
            p => p.StartsWith("no CAP_CHECKPOINT_RESTORE", StringComparison.Ordinal));

    [Fact]
    public void ASeccompFilterWithoutSysAdminStopsTheDump() =>
        Assert.Contains(Problems(LeastPrivileged with { SeccompMode = 2 }), p => p.Contains("suspending seccomp failed", StringComparison.Ordinal));

    [Theory]
    [InlineData(1, SysPtrace, false)]
    [InlineData(2, SysPtrace, false)]
    [InlineData(1, 0UL, true)]
    [InlineData(3, SysPtrace, true)]
    public void YamaNeedsSysPtraceAndScope3StopsEverything(int scope, ulong extra, bool problem)
    {
        var facts = LeastPrivileged with { Capabilities = new CapabilitySet(CheckpointRestore | extra), PtraceScope = scope };
        Assert.Equal(problem, Problems(facts).Any(p => p.Contains("ptrace_scope", StringComparison.Ordinal)));
    }

    [Fact]
    public void NoImageDirOrAnUnwritableOneIsAProblem()
    {
        Assert.Contains(Problems(LeastPrivileged with { ImageDir = null }), p => p.StartsWith("no imageDir configured", StringComparison.Ordinal));
        Assert.Contains(Problems(LeastPrivileged with { ImageDirProblem = "crik cannot write in /data (Read-only file system)" }),
            p => p == "imageDir /var/lib/crik: crik cannot write in /data (Read-only file system)");
    }

    [Fact]
    public void AnImageDirOnTheContainersRootFileSystemIsANoteNotAProblem()
    {
        List<Finding> findings = ContainerVerdict.Of(LeastPrivileged with { ImageDirNotKept = "imageDir /var/lib/crik is on the container's own root file system" });
        Assert.Contains(findings, f => f.Kind == FindingKind.Note && f.Text.StartsWith("imageDir /var/lib/crik is on the container's own root file system", StringComparison.Ordinal));
        Assert.Empty(Problems(LeastPrivileged with { ImageDirNotKept = "imageDir /var/lib/crik is on the container's own root file system" }));
    }

    [Fact]
    public void CrikAsAnotherUserThanRootCannotRestore() =>
        Assert.Contains(Problems(LeastPrivileged with { UserId = 101 }), p => p.StartsWith("crik runs as user 101, not root", StringComparison.Ordinal));

    [Fact]
    public void NotesSayWhatCrikDoesWithoutAPrivilege()
    {
        var notes = ContainerVerdict.Of(LeastPrivileged with { Pid1 = "bash" })
            .Where(f => f.Kind == FindingKind.Note).Select(f => f.Text).ToList();
        Assert.Contains(notes, n => n.StartsWith("no CAP_NET_ADMIN: not needed", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.StartsWith("PID 1 here is bash, not crik", StringComparison.Ordinal));
    }

    [Fact]
    public void LazyRestoreIsAvailableOnlyWhereCriuRunsPrivilegedAndUserfaultfdFollowsForks()
    {
        static string Lazy(ContainerFacts facts) => ContainerVerdict.Of(facts).Single(f => f.Text.StartsWith("lazy restore", StringComparison.Ordinal)).Text;

        Assert.StartsWith("lazy restore unavailable: CRIU runs --unprivileged here", Lazy(LeastPrivileged), StringComparison.Ordinal);
        var privileged = LeastPrivileged with { Capabilities = new CapabilitySet(CheckpointRestore | SysPtrace | SysAdmin) };
        Assert.StartsWith("lazy restore available", Lazy(privileged), StringComparison.Ordinal);
        Assert.Equal("lazy restore unavailable: no fork events; restores bring all the app's memory in before it runs",
            Lazy(privileged with { UserfaultProblem = "no fork events" }));
        Assert.All(ContainerVerdict.Of(privileged with { UserfaultProblem = "no fork events" }).Where(f => f.Text.StartsWith("lazy", StringComparison.Ordinal)),
            f => Assert.Equal(FindingKind.Note, f.Kind));
    }

    [Fact]
    public void AreaFlagsComeWithoutThePageWalkWhereCriuMayLoadBpf()
    {
        static Finding Flags(ContainerFacts facts) => ContainerVerdict.Of(facts).Single(f => f.Text.Contains("areas' flags", StringComparison.Ordinal));
        const ulong Perfmon = 1UL << 38, Bpf = 1UL << 39;

        Assert.StartsWith("no CAP_BPF and CAP_PERFMON", Flags(LeastPrivileged).Text, StringComparison.Ordinal);
        Assert.Contains("add BPF and PERFMON", Flags(LeastPrivileged).Text, StringComparison.Ordinal);
        Assert.StartsWith("no CAP_BPF", Flags(LeastPrivileged with { Capabilities = new CapabilitySet(CheckpointRestore | Bpf) }).Text, StringComparison.Ordinal);
        Assert.StartsWith("CAP_BPF and CAP_PERFMON", Flags(LeastPrivileged with { Capabilities = new CapabilitySet(CheckpointRestore | Bpf | Perfmon) }).Text,
            StringComparison.Ordinal);
        Assert.StartsWith("CAP_BPF and CAP_PERFMON", Flags(LeastPrivileged with { Capabilities = new CapabilitySet(SysAdmin) }).Text, StringComparison.Ordinal);
        Assert.Equal(FindingKind.Note, Flags(LeastPrivileged).Kind);
    }

    [Fact]
    public void CapEffIsReadFromTheStatusLines()
    {
        CapabilitySet caps = CapabilitySet.Of(ProcStatus.Parse(["Name:\tcrik", "CapInh:\t0000000000000000", "CapEff:\t00000100800c15fb"]));
        Assert.True(caps.Has(Capability.CheckpointRestore) && caps.Has(Capability.SysPtrace) && caps.Has(Capability.NetAdmin));
        Assert.False(caps.Has(Capability.SysAdmin));
        Assert.Equal(0UL, CapabilitySet.Of(ProcStatus.Parse(["CapEff:\tzz"])).Bits);
        Assert.Equal(0UL, CapabilitySet.Of(ProcStatus.Parse([])).Bits);
    }

    [Fact]
    public void WhetherTheKernelTracksDirtyMemoryIsANoteNeverAProblem()
    {
        List<Finding> without = ContainerVerdict.Of(LeastPrivileged with { DirtyMemoryTracking = false });
        Assert.Contains(without, f => f.Kind == FindingKind.Note && f.Text.StartsWith("this kernel does not track dirty memory", StringComparison.Ordinal));
        Assert.Empty(Problems(LeastPrivileged with { DirtyMemoryTracking = false }));
        Assert.Contains(ContainerVerdict.Of(LeastPrivileged with { DirtyMemoryTracking = true }),
            f => f.Text.StartsWith("this kernel tracks dirty memory", StringComparison.Ordinal));
        Assert.DoesNotContain(ContainerVerdict.Of(LeastPrivileged), f => f.Text.Contains("dirty memory", StringComparison.Ordinal));
    }

    [Fact]
    public void ALargeSharedTcpTableIsANoteWithTheSysctlAndATableOfItsOwnIsOk()
    {
        static List<Finding> Tcp(TcpTable? table) =>
            ContainerVerdict.Of(LeastPrivileged with { TcpTable = table }).Where(f => f.Text.Contains("table of TCP connections", StringComparison.Ordinal)).ToList();
        Finding shared = Assert.Single(Tcp(new TcpTable(262144, Shared: true)));
        Assert.Equal(FindingKind.Note, shared.Kind);
        Assert.Contains("(262,144 buckets)", shared.Text, StringComparison.Ordinal);
        Assert.Contains("net.ipv4.tcp_child_ehash_entries", shared.Text, StringComparison.Ordinal);
        Finding own = Assert.Single(Tcp(new TcpTable(1024, Shared: false)));
        Assert.Equal(FindingKind.Ok, own.Kind);
        Assert.Contains("of its own (1,024 buckets)", own.Text, StringComparison.Ordinal);
        Assert.Empty(Tcp(new TcpTable(16384, Shared: true)));
        Assert.Empty(Tcp(null));
        Assert.Empty(Problems(LeastPrivileged with { TcpTable = new TcpTable(262144, Shared: true) }));
    }
}

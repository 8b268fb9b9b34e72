using Crik.Cli.HostCompatibility;
using Xunit;

namespace Crik.Cli.Tests.HostCompatibility;

[Trait("Category", "Unit")]
public class CpuCompatibilityTests
{
    private static HostFacts Node(params string[] features) => new("x64", "6.18.0", features);

    [Fact]
    public void AnInstructionSetFeatureTheCheckpointsNodeHadIsMissingHere()
    {
        Assert.Equal(["avx512f", "sha_ni"], CpuCompatibility.Missing(Node("sse2", "avx2", "avx512f", "sha_ni"), Node("sse2", "avx2")));
        Assert.Contains("lacks avx512f sha_ni", CpuCompatibility.Problem(Node("avx2", "avx512f", "sha_ni"), Node("avx2")), StringComparison.Ordinal);
    }

    [Fact]
    public void KernelAndHypervisorFlagsMayDifferBetweenNodesOfOneType() =>
        Assert.Null(CpuCompatibility.Problem(Node("avx2", "hypervisor", "tsc_known_freq", "pti", "arat"), Node("avx2")));

    /// <summary>erms and fsrm say how fast rep movsb runs, not whether it does; xsaves and xsaveerptr are no instructions user code runs.</summary>
    [Fact]
    public void FlagsThatNameNoInstructionOfTheAppsMayDiffer()
    {
        Assert.Null(CpuCompatibility.Problem(Node("avx2", "erms", "fsrm", "xsave", "xsaves", "xsaveerptr"), Node("avx2", "xsave")));
        Assert.Equal(["xsavec", "xsaveopt"], CpuCompatibility.Missing(Node("xsave", "xsavec", "xsaveopt"), Node("xsave")));
    }

    [Fact]
    public void ANodeWithMoreFeaturesRunsTheCheckpoint() => Assert.Null(CpuCompatibility.Problem(Node("avx2"), Node("avx2", "avx512f", "amx_tile")));

    [Fact]
    public void AnotherArchitectureNeverRuns() =>
        Assert.Equal("it was taken on arm64 and this node is x64",
            CpuCompatibility.Problem(new HostFacts("arm64", "6.1", ["asimd"]), Node("avx2")));

    [Fact]
    public void CheckpointsFromBeforeHostsWereRecordedAreNotRefused() => Assert.Null(CpuCompatibility.Problem(null, Node()));

    [Fact]
    public void FeaturesComeFromTheFirstProcessorsFlagsOrFeaturesLine()
    {
        Assert.Equal(["avx2", "fpu", "sse2"], HostFacts.CpuFeaturesOf(["processor\t: 0", "flags\t\t: fpu sse2 avx2 sse2", "flags\t\t: other"]));
        Assert.Equal(["asimd", "fp"], HostFacts.CpuFeaturesOf(["processor\t: 0", "Features\t: fp asimd"]));
        Assert.Empty(HostFacts.CpuFeaturesOf(["processor\t: 0"]));
    }
}

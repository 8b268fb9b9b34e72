using Crik.Cli.Criu;
using Xunit;

namespace Crik.Cli.Tests.Criu;

[Trait("Category", "Unit")]
public class AreaFlagsLogTests
{
    [Fact]
    public void ALogWhereTheIteratorReadEveryAreaSaysNothing() =>
        Assert.Null(AreaFlagsLog.WhyFromSmaps([
            "(00.003955) vma-flags: areas' flags come from a BPF iterator, checked against smaps on CRIU's own areas (bits 0x100e63ff7ff) in 1.6 ms",
            "(00.010004) Collecting mappings (pid: 9002)",
        ]));

    [Fact]
    public void WhenTheIteratorCannotBeLoadedTheReasonIsTheLineBefore() =>
        Assert.Equal("cannot load the BPF iterator: Operation not permitted", AreaFlagsLog.WhyFromSmaps([
            "(00.002221) Will skip in-flight TCP connections",
            "(00.044350) vma-flags: cannot load the BPF iterator: Operation not permitted",
            "(00.044351) vma-flags: areas' flags come from smaps",
        ]));

    [Fact]
    public void AProcessReadFromSmapsGivesItsArea() =>
        Assert.Equal("area 7f0000000000-7f0000400000 of 9001 has flags 0x400000 not seen on CRIU's own areas", AreaFlagsLog.WhyFromSmaps([
            "(00.003955) vma-flags: areas' flags come from a BPF iterator, checked against smaps on CRIU's own areas (bits 0x100e63ff7ff) in 1.6 ms",
            "(00.010100) vma-flags: area 7f0000000000-7f0000400000 of 9001 has flags 0x400000 not seen on CRIU's own areas",
            "(00.010101) vma-flags: areas' flags of 9001 come from smaps",
        ]));

    [Fact]
    public void WithoutAReasonTheLineItselfIsTheReason() =>
        Assert.Equal("areas' flags come from smaps", AreaFlagsLog.WhyFromSmaps(["(00.1) vma-flags: areas' flags come from smaps"]));
}

using Crik.Cli.HostCompatibility;
using Crik.Cli.Processes;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

[Trait("Category", "Unit")]
public class MemoryLimitTests
{
    [Theory]
    [InlineData("7f0000000000-7f1000000000 ---p 00000000 00:00 0", 0x1000000000L)]
    [InlineData("55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0   [heap]", 0x21000L)]
    [InlineData("7f10a0000000-7f10a0001000 rw-s 00000000 00:05 123  /dev/shm/x", 0L)]
    [InlineData("garbage", 0L)]
    [InlineData("ffff-0000 rw-p 0 0 0", 0L)]
    public void OnlyPrivateAreasCount(string line, long size) => Assert.Equal(size, MemoryMaps.PrivateAreaSize(line));

    [Theory]
    [InlineData("0", 24L * 1024 * 1024 * 1024 + 1024L * 1024 * 1024)]
    [InlineData("1", long.MaxValue)]
    [InlineData("2", 13L * 1024 * 1024 * 1024)]
    public void TheLargestAreaFollowsTheOvercommitMode(string mode, long expected) =>
        Assert.Equal(expected, HostMemory.LargestWritableArea(mode,
            ["MemTotal:       25165824 kB", "SwapTotal:       1048576 kB", "CommitLimit:    13631488 kB", "Nonsense"]));

    [Fact]
    public void ThisProcessHasAPrivateArea() => Assert.True(HeldTree.Read(Environment.ProcessId).LargestPrivateArea > 0);
}

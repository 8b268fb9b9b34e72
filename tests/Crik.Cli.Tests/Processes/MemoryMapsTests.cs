using Crik.Cli.Processes;
using Xunit;

namespace Crik.Cli.Tests.Processes;

[Trait("Category", "Unit")]
public class MemoryMapsTests
{
    [Theory]
    [InlineData("55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]", "[heap]")]
    [InlineData("7f10a0000000-7f10a0001000 rw-s 00000000 00:05 123   /dev/shm/a name with  spaces", "/dev/shm/a name with  spaces")]
    [InlineData("7f10a0000000-7f10a0001000 rw-s 00000000 00:0f 9 /[aio] (deleted)", "/[aio] (deleted)")]
    [InlineData("7f0000000000-7f1000000000 ---p 00000000 00:00 0", "")]
    public void AnAreasPathIsAllAfterTheFifthField(string line, string path)
    {
        MapsArea area = MapsArea.Parse(line)!.Value;
        Assert.Equal(path, area.Path);
        Assert.True(area.Size > 0);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("ffff-0000 rw-p 0 0 0")]
    [InlineData("x-y rw-p 0 0 0")]
    public void ALineThatIsNoAreaIsNone(string line) => Assert.Null(MapsArea.Parse(line));

    [Fact]
    public void ThisProcessHasItsVdsoPrivateAndSharedFlagsRead()
    {
        List<MapsArea> areas = MemoryMaps.Read(Environment.ProcessId);
        Assert.Contains(areas, area => area.Path == "[vdso]");
        Assert.Contains(areas, area => area.Private && !area.Shared);
        Assert.Contains("is gone", Assert.Throws<IOException>(() => MemoryMaps.Read(int.MaxValue)).Message, StringComparison.Ordinal);
        Assert.Empty(MemoryMaps.ReadOrNone(int.MaxValue));
    }
}

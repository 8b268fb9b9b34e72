using System.Runtime.InteropServices;
using Crik.Cli.Interop;
using Xunit;

namespace Crik.Cli.Tests.Interop;

/// <summary>The architecture-dependent flags: right for both architectures, and right on this machine's kernel.</summary>
[Trait("Category", "Unit")]
public class PlatformTests
{
    [Fact]
    public void Arm64UsesTheGenericOpenFlags() =>
        Assert.Equal(new ArchitectureFlags(Directory: 0x4000, NoFollow: 0x8000, Direct: 0x10000), ArchitectureFlags.For(Architecture.Arm64));

    [Fact]
    public void X64UsesItsHistoricalOpenFlags() =>
        Assert.Equal(new ArchitectureFlags(Directory: 0x10000, NoFollow: 0x20000, Direct: 0x4000), ArchitectureFlags.For(Architecture.X64));

    [Theory]
    [InlineData(Architecture.X86)]
    [InlineData(Architecture.Arm)]
    [InlineData(Architecture.RiscV64)]
    public void OtherArchitecturesAreRefusedRatherThanGuessed(Architecture architecture) =>
        Assert.Null(ArchitectureFlags.For(architecture));

    [Fact]
    public void ThisMachinesKernelAgreesWithTheFlags()
    {
        string dir = Directory.CreateTempSubdirectory("crik-platform-").FullName;
        try
        {
            string file = Path.Combine(dir, "file");
            string link = Path.Combine(dir, "link");
            File.WriteAllText(file, "x");
            File.CreateSymbolicLink(link, file);
            Assert.Equal(Errno.None, OpenError(dir, OpenFlags.Directory));
            Assert.Equal(Errno.ENOTDIR, OpenError(file, OpenFlags.Directory));
            Assert.Equal(Errno.ELOOP, OpenError(link, OpenFlags.NoFollow));
            Assert.Equal(Errno.None, OpenError(file, OpenFlags.NoFollow));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Errno OpenError(string path, int flags)
    {
        int fd = Libc.Open(path, OpenFlags.ReadOnly | OpenFlags.CloseOnExec | flags, 0);
        if (fd < 0)
        {
            return Libc.LastErrno;
        }
        Libc.Close(fd);
        return Errno.None;
    }
}

using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.TestSupport;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

/// <summary>
/// A writeback ahead of the commit that the disk fails is kept, and the pack does not complete with it: the kernel reports
/// such an error once for each open file, and before Linux 5.8 the commit's syncfs reports none. Before, the error was
/// dropped, and a pack whose bytes the disk lost could be committed. The file here is /dev/null, whose fdatasync fails.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EarlyWritebackTests
{
    [Fact]
    public void AWritebackTheDiskFailsIsKeptUntilTheEnd()
    {
        using SafeFileHandle file = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write);
        var writeback = new EarlyWriteback(file);
        Assert.Null(writeback.FailedWith);
        writeback.Wrote(8 << 20);
        Poll.Until(() => writeback.FailedWith is not null, "the writeback to fail");
        writeback.Wrote(8 << 20); // a later writeback keeps the first error
        Assert.Equal(Errno.EINVAL, writeback.StopAndTakeFailure());
        Assert.Equal(Errno.EINVAL, writeback.StopAndTakeFailure()); // a completion tried again is refused again
    }

    [Fact]
    public void APackWhoseWritebackFailedDoesNotComplete()
    {
        using var target = new PackFileTarget(File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write));
        target.Write(new byte[8 << 20], 0);
        var failed = Assert.Throws<IOException>(target.EndWritebacks);
        Assert.Contains("the disk's write of the pack (fdatasync)", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APackWrittenWholeCompletes()
    {
        string path = Path.Combine(Path.GetTempPath(), $"crik-writeback-{Guid.NewGuid():N}.pack");
        try
        {
            using var target = new PackFileTarget(File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite));
            target.Write(new byte[(8 << 20) + 4096], 0);
            target.EndWritebacks();
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.Restoring;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>Whose fault a restore that could not write its plaintext out is: a node without a usable /tmp never sets a checkpoint aside.</summary>
[Trait("Category", "Unit")]
public sealed class NotWholeTests
{
    private const int PermissionDenied = 13;
    private const int NoSpace = 28;

    [Theory]
    [InlineData(NoSpace)]
    [InlineData(PermissionDenied)]
    public void ANodeWithoutAScratchDirectoryIsTheNodesFault(int errno)
    {
        var mkdir = new IOException("mkdirat failed", errno);
        var e = new NoScratchDirectoryException("crik cannot make a private directory in /tmp/", mkdir);

        Assert.Equal(RestoreBlame.Node, NotWhole.Of("writing its images out as files failed", e).Blame);
    }

    [Fact]
    public void AWriteRefusedElsewhereIsStillTheCheckpointsFault() =>
        Assert.Equal(RestoreBlame.Checkpoint, NotWhole.Of("cannot put back additionalPaths", new IOException("openat failed", PermissionDenied)).Blame);
}

using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

public class RestoreBlameTests
{
    [Theory]
    [InlineData(true, 0, "Store")]
    [InlineData(true, 28, "Store")]
    [InlineData(false, 28, "Node")] // ENOSPC
    [InlineData(false, 122, "Node")] // EDQUOT
    [InlineData(false, 30, "Node")] // EROFS
    [InlineData(false, 0, "Checkpoint")]
    [InlineData(false, 2, "Checkpoint")] // ENOENT: a file of the checkpoint is missing
    public void AFailedReadOrWriteBlamesTheStoreWhenItMayAnswerLaterTheNodeWhenItHadNoRoomElseTheCheckpoint(bool storeMayAnswerLater, int errno, string expected) =>
        Assert.Equal(expected, RestoreBlames.Of(storeMayAnswerLater, errno).ToString());

    [Theory]
    [InlineData("(00.051234) Error (criu/files-reg.c:812): Can't create ghost file: No space left on device", "Node")]
    [InlineData("(00.010000) Error (criu/files-reg.c:900): Can't open file: Read-only file system", "Node")]
    [InlineData("(00.010000) Error (criu/cr-restore.c:1500): Can't fork for 42: File exists", "Checkpoint")]
    [InlineData("", "Checkpoint")]
    public void AFailedCriuRestoreBlamesTheNodeOnlyWhenItHadNoRoom(string firstError, string expected) =>
        Assert.Equal(expected, RestoreBlames.OfCriu(firstError).ToString());
}

using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

[Trait("Category", "Unit")]
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
        Assert.Equal(expected, RestoreBlames.Of(criksOwn: false, storeMayAnswerLater, errno).ToString());

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 28)]
    public void CriksOwnFailureBlamesCrikWhateverElseIsKnown(bool storeMayAnswerLater, int errno) =>
        Assert.Equal(RestoreBlame.Crik, RestoreBlames.Of(criksOwn: true, storeMayAnswerLater, errno));

    [Theory]
    [InlineData("(00.051234) Error (criu/files-reg.c:812): Can't create ghost file: No space left on device", "Node")]
    [InlineData("(00.010000) Error (criu/files-reg.c:900): Can't open file: Read-only file system", "Node")]
    [InlineData("(00.010000) Error (criu/cr-restore.c:1500): Can't fork for 42: File exists", "Node")] // another process holds PID 42
    [InlineData("pie: 9002: Error (criu/pie/restorer.c:2185): Unable to create a thread: -17", "Node")] // EEXIST: a thread's ID is held
    [InlineData("pie: 9002: Error (criu/pie/restorer.c:2185): Unable to create a thread: -12", "Checkpoint")]
    [InlineData("(00.010000) Error (criu/cr-restore.c:1500): Can't fork for 42: Invalid argument", "Checkpoint")]
    [InlineData("(22.934552) Error (criu/cr-restore.c:1743): Can't attach to 9002: Operation not permitted", "Node")] // a tracer attached, or Yama
    [InlineData("(00.010000) Error (criu/cr-restore.c:1743): Can't attach to 9002: No such process", "Checkpoint")]
    [InlineData("", "Checkpoint")]
    public void AFailedCriuRestoreBlamesTheNodeOnlyWhenItHadNoRoomRefusedATraceOrHeldAnId(string firstError, string expected) =>
        Assert.Equal(expected, RestoreBlames.OfCriu(firstError).ToString());

    [Fact]
    public void WhatTheNodeLacksAndWhatToDoFollowTheError()
    {
        Assert.Equal("has no room for what the restore writes", RestoreBlames.OfNode("Can't create ghost file: No space left on device").Lacks);
        (string lacks, string fix) = RestoreBlames.OfNode("criu ended with exit code 1: (22.93) Error (criu/cr-restore.c:1743): Can't attach to 9002: Operation not permitted");
        Assert.Equal("does not let CRIU trace the restored processes", lacks);
        Assert.Contains("kernel.yama.ptrace_scope", fix, StringComparison.Ordinal);
        Assert.Equal("holds an ID the app's processes or threads need", RestoreBlames.OfNode("pie: 9002: Error (criu/pie/restorer.c:2185): Unable to create a thread: -17").Lacks);
        Assert.Equal("holds an ID the app's processes or threads need", RestoreBlames.OfNode(PidsInUse.Why([], [63])!).Lacks);
        Assert.Equal("could not fill the app's memory",
            RestoreBlames.OfNode("the restore had not handed crik the app's memory 10 s after it ended" + RestoreBlames.NotTheCheckpoints).Lacks);
        Assert.Equal("could not put a saved file back at its path",
            RestoreBlames.OfNode(RestoreBlames.PutBackFailed + ": Not a directory : '/var/lib/app/state'" + RestoreBlames.NotTheCheckpoints).Lacks);
        Assert.Equal("has no room for what the restore writes",
            RestoreBlames.OfNode(RestoreBlames.PutBackFailed + ": No space left on device : '/var/lib/app/state/data.bin'").Lacks);
    }

    /// <summary>
    /// crik's fill of a stopped app sets the checkpoint aside only on proof (a chunk that does not read back, images that do not
    /// line up). Before, any failure that was neither crik's bug nor the store's (a copy the kernel refused for the pod's memory
    /// limit, CRIU late handing the memory over) set a good checkpoint aside. Unproven, it stays, and the attempt counts against
    /// restoreAttempts, so a failure that repeats on every pod still ends.
    /// </summary>
    [Theory]
    [InlineData(false, false, true, "Checkpoint")]
    [InlineData(false, false, false, "Unproven")]
    [InlineData(false, true, true, "Store")]
    [InlineData(true, false, true, "Crik")]
    public void AFillThatFailedBlamesTheCheckpointOnlyOnProof(bool criksOwn, bool storeAway, bool proven, string expected) =>
        Assert.Equal(expected, RestoreBlames.OfFill(criksOwn, storeAway, proven).ToString());
}

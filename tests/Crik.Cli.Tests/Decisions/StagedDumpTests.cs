using Crik.Cli.Decisions;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

[Trait("Category", "Unit")]
public sealed class StagedDumpTests
{
    [Fact]
    public void AnAbandonedPackWhoseUploadNeverCompletedIsAbortedWhateverTheCommit()
    {
        Assert.Equal(AbandonedPack.Abort, StagedDump.WhenAbandoned(StagingCommit.Rename, packCompleted: false));
        Assert.Equal(AbandonedPack.Abort, StagedDump.WhenAbandoned(StagingCommit.ManifestWrittenLast, packCompleted: false));
    }

    [Fact]
    public void ACompletePackOfARenameThatFailedIsDeletedAtOnce() =>
        Assert.Equal(AbandonedPack.Delete, StagedDump.WhenAbandoned(StagingCommit.Rename, packCompleted: true));

    [Fact]
    public void ACompletePackStaysWhenTheManifestMayHaveLandedThoughItsWriteSeemedToFail() =>
        Assert.Equal(AbandonedPack.Keep, StagedDump.WhenAbandoned(StagingCommit.ManifestWrittenLast, packCompleted: true));

    [Fact]
    public void StagedFilesAreSealedIntoChunksInObjectStorageAndWhenEncrypted()
    {
        Assert.True(StagedDump.SealsFilesIntoChunks(StagingCommit.ManifestWrittenLast, encrypted: false));
        Assert.True(StagedDump.SealsFilesIntoChunks(StagingCommit.ManifestWrittenLast, encrypted: true));
        Assert.True(StagedDump.SealsFilesIntoChunks(StagingCommit.Rename, encrypted: true));
        Assert.False(StagedDump.SealsFilesIntoChunks(StagingCommit.Rename, encrypted: false));
    }
}

using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// The primitives staging is made of: RenameNoReplace, CreateUpload and CreateLocalDirectory, keys in and keys out.
public abstract partial class StorageContract
{
    [SkippableStorageFact]
    public void RenameNoReplaceMovesWhatIsAtAKeyToAnAbsentOne()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("a")));
        Assert.True(Backend.RenameNoReplace("restores/000001-001", "restores/000001-002"));
        Assert.Equal("a", Text(Backend.Read("restores/000001-002", 4095)));
        Assert.Null(Backend.Read("restores/000001-001", 4095));
    }

    [SkippableStorageFact]
    public void RenameNoReplaceNeverReplacesWhatIsAtItsTarget()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("a")));
        Assert.True(Backend.WriteIfAbsent("restores/000001-002", Bytes("b")));
        Assert.False(Backend.RenameNoReplace("restores/000001-001", "restores/000001-002"));
        Assert.Equal("a", Text(Backend.Read("restores/000001-001", 4095)));
        Assert.Equal("b", Text(Backend.Read("restores/000001-002", 4095)));
    }

    [SkippableStorageFact]
    public void RenameNoReplaceOfWhatIsAbsentThrows() =>
        Assert.ThrowsAny<IOException>(() => Backend.RenameNoReplace("restores/000009-001", "restores/000009-002"));

    /// <summary>Parts written out of order, as several writers reserve their offsets, end up in order.</summary>
    [SkippableStorageFact]
    public void AnUploadWrittenOutOfOrderIsWholeAtItsKeyOnceComplete()
    {
        using (IBlobUpload upload = Backend.CreatePackUpload("packs/000001.pack"))
        {
            upload.Write(Bytes(" world"), 5);
            upload.Write(Bytes("hello"), 0);
            Assert.False(upload.Completed);
            upload.Complete();
            Assert.True(upload.Completed);
            upload.Abort(); // once complete, it stays
        }
        Assert.Equal("hello world", Text(Backend.Read("packs/000001.pack", 4095)));
        Assert.Equal(["packs/000001.pack"], Backend.List("packs/").Select(e => e.Key));
    }

    [SkippableStorageFact]
    public void AnAbortedUploadLeavesNothingAtItsKey()
    {
        using (IBlobUpload upload = Backend.CreatePackUpload("packs/000001.pack"))
        {
            upload.Write(Bytes("half a pack"), 0);
            upload.Abort();
        }
        Assert.Null(Backend.Read("packs/000001.pack", 4095));
        Assert.Empty(Backend.List("packs/"));
    }

    /// <summary>Refused when it is made on a volume, when it completes in object storage: either way what was there stays.</summary>
    [SkippableStorageFact]
    public void AnUploadNeverReplacesABlobAtItsKey()
    {
        Assert.True(Backend.WriteIfAbsent("packs/000001.pack", Bytes("committed")));
        Assert.ThrowsAny<IOException>(() =>
        {
            using IBlobUpload upload = Backend.CreatePackUpload("packs/000001.pack");
            upload.Write(Bytes("a stale pod's pack"), 0);
            upload.Complete();
        });
        Assert.Equal("committed", Text(Backend.Read("packs/000001.pack", 4095)));
    }

    /// <summary>A directory for CRIU in the store, new and private; none in a store without directories.</summary>
    [SkippableStorageFact]
    public void ALocalDirectoryIsCreatedNewAndPrivateWhereTheStoreHasDirectories()
    {
        using DirectoryHandle? created = Node.CreateLocalDirectory(".staging-000001-0123abcd");
        if (!Backend.HasDirectories)
        {
            Assert.Null(created);
            return;
        }
        Assert.NotNull(created);
        Assert.Equal(DirectoryHandle.PrivateDirectory, created.Stat().Mode);
        Assert.ThrowsAny<IOException>(() => Node.CreateLocalDirectory(".staging-000001-0123abcd"));
    }
}

using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// Uploads a killed dump left: ListUnfinishedUploads and AbortUpload.
public abstract partial class StorageContract
{
    /// <summary>Leaves an upload at <paramref name="key"/> that was started at <paramref name="started"/> and never completed nor aborted, as a dump killed mid-upload does.</summary>
    internal abstract void LeaveUnfinishedUpload(string key, DateTimeOffset started);

    /// <summary>Whether the store keeps an upload apart from its blob until it completes (object storage), and so lists what a killed dump left as unfinished.</summary>
    internal abstract bool KeepsUploadsApart { get; }

    [SkippableStorageFact]
    public void AnUploadAKilledDumpLeftIsListedAsUnfinishedUntilAborted()
    {
        DateTimeOffset started = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds());
        LeaveUnfinishedUpload("packs/000003.pack", started);
        Assert.Empty(Backend.ListUnfinishedUploads("restores/")!);

        List<UnfinishedUpload> listed = Backend.ListUnfinishedUploads("packs/")!;
        Assert.Equal(KeepsUploadsApart ? ["packs/000003.pack"] : [], listed.Select(u => u.Key));
        foreach (UnfinishedUpload upload in listed)
        {
            Assert.Equal(started, upload.Started);
            Assert.True(Backend.AbortUpload(upload));
        }
        Assert.Empty(Backend.ListUnfinishedUploads("packs/")!);
        // Either way nothing unfinished is in the way of a blob: a volume's is a file at its key, a pack no manifest uses.
        Assert.Equal(KeepsUploadsApart ? [] : ["packs/000003.pack"], Backend.List("packs/").Select(e => e.Key));
    }

    [SkippableStorageFact]
    public void ACompletedOrAbortedUploadIsNotListedAsUnfinished()
    {
        using (IBlobUpload completed = Backend.CreatePackUpload("packs/000001.pack"))
        {
            completed.Write(Bytes("a pack"), 0);
            completed.Complete();
        }
        using (IBlobUpload aborted = Backend.CreatePackUpload("packs/000002.pack"))
        {
            aborted.Write(Bytes("half a pack"), 0);
            aborted.Abort();
        }
        Assert.Empty(Backend.ListUnfinishedUploads("packs/")!);
        Assert.Equal(["packs/000001.pack"], Backend.List("packs/").Select(e => e.Key));
    }
}

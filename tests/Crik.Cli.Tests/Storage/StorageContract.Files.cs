using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// Read, WriteIfAbsent and Delete.
public abstract partial class StorageContract
{
    [SkippableStorageFact]
    public void ReadingWhatIsAbsentGivesNull()
    {
        Assert.Null(Backend.Read("restores/000001-001", 4095));
        Assert.Null(ManifestAt("checkpoint-000001"));
        Publish(1);
        Assert.Null(Backend.Read("restores/000001-001", 4095));
        Assert.Null(Backend.Read($"checkpoint-000001/{Manifest.MacFileName}", 4095));
    }

    [SkippableStorageFact]
    public void ReadGivesBackWhatWasWritten()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("2026-11-25T00:00:00Z\n")));
        Assert.Equal("2026-11-25T00:00:00Z\n", Text(Backend.Read("restores/000001-001", 4095)));
    }

    [SkippableStorageFact]
    public void WriteIfAbsentWritesOnceAndLeavesTheFirstContentInPlace()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("first")));
        Assert.False(Backend.WriteIfAbsent("restores/000001-001", Bytes("second")));
        Assert.Equal("first", Text(Backend.Read("restores/000001-001", 4095)));
    }

    [SkippableStorageFact]
    public void WhatWasWrittenIsThereForTheNextCrik()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("recorded")));
        Backend.Dispose();
        using var next = NewBackend();
        Assert.Equal("recorded", Text(next.Read("restores/000001-001", 4095)));
        Assert.False(next.WriteIfAbsent("restores/000001-001", Bytes("again")));
    }

    [SkippableStorageFact]
    public void DeleteRemovesAFile()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("x")));
        Backend.Delete("restores/000001-001");
        Assert.Null(Backend.Read("restores/000001-001", 4095));
        Assert.Empty(Listing().Marks);
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("y")));
    }

    [SkippableStorageFact]
    public void AGenerationIsDeletedWholeWhereverItIs()
    {
        Publish(1);
        Publish(2);
        Publish(3);
        GenerationMove.Move(Backend, "checkpoint-000002", "retired/checkpoint-000002");
        GenerationMove.Move(Backend, "checkpoint-000003", "set-aside/checkpoint-000003-20261123T100000Z");
        Assert.True(Backend.WriteIfAbsent($"set-aside/checkpoint-000003-20261123T100000Z/{StoreLayout.SetAsideReasonFile}", Bytes("test\n")));

        GenerationDeletion.Delete(Backend, "checkpoint-000001");
        GenerationDeletion.Delete(Backend, "retired/checkpoint-000002");
        GenerationDeletion.Delete(Backend, "set-aside/checkpoint-000003-20261123T100000Z");

        StoreListing listing = Listing();
        Assert.Empty(listing.Committed);
        Assert.Empty(listing.Retired);
        Assert.Empty(listing.SetAside);
        Assert.Empty(listing.SetAsideTaken);
        Assert.Null(ManifestAt("checkpoint-000001"));
        Assert.Equal([1, 2, 3], listing.Packs.Order()); // a generation's packs are not in it: retention deletes them apart
    }

    [SkippableStorageFact]
    public void DeletingWhatIsAbsentIsNoError()
    {
        Backend.Delete("restores/000009-001");
        GenerationDeletion.Delete(Backend, "checkpoint-000009");
        GenerationDeletion.Delete(Backend, "retired/checkpoint-000009");
        GenerationDeletion.Delete(Backend, "set-aside/checkpoint-000009-20261123T100000Z");
        Backend.Delete("packs/000009.pack");
        Backend.Delete("logs/dump-000009.log");
        Publish(1);
        GenerationDeletion.Delete(Backend, "checkpoint-000001");
        GenerationDeletion.Delete(Backend, "checkpoint-000001");
        Assert.Empty(Listing().Committed);
    }
}

using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.Storage;

/// <summary>The storage contract on a volume (a temporary directory), and what only a volume does.</summary>
[Trait("Category", "Unit")]
[Collection(ObjectStorage.PodsKilledMidDump.Name)]
public partial class VolumeBackendTests : StorageContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-storage-").FullName;

    internal override StoreStack NewStack()
    {
        var volume = new VolumeBackend(_dir, new LoggerConfiguration().CreateLogger());
        return Stacked(volume, volume.NodeSide, BackendRetry.None(Crik.Cli.Observing.Tallies.Volume));
    }

    protected override void DisposeStore() => Directory.Delete(_dir, recursive: true);

    internal override TimeSpan DeadHolderKeepsOthersOut => TimeSpan.Zero;

    internal override bool KeepsUploadsApart => false;

    /// <summary>A pack file created and partly written, then left as a killed dump leaves it: neither completed nor aborted.</summary>
    internal override void LeaveUnfinishedUpload(string key, DateTimeOffset started)
    {
        using IBlobUpload upload = Backend.CreatePackUpload(key);
        upload.Write(Bytes("half a pack"), 0);
    }

    /// <summary>A process that takes the flock and exits without releasing it.</summary>
    internal override void LeaveLockOfDeadHolder()
    {
        using var holder = System.Diagnostics.Process.Start("python3",
            ["-c", "import fcntl, os, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); os._exit(0)", Path.Combine(_dir, ".lock")]);
        holder.WaitForExit();
        Assert.Equal(0, holder.ExitCode);
    }

    /// <summary>A move is one rename: there is never a moment, nor a crash, that leaves two copies.</summary>
    [SkippableStorageFact]
    public void AMoveLeavesExactlyOneCopy()
    {
        Publish(1);
        GenerationMove.Move(Backend, "checkpoint-000001", "retired/checkpoint-000001");
        GenerationMove.Move(Backend, "retired/checkpoint-000001", "set-aside/checkpoint-000001-20261123T100000Z");
        string copy = Assert.Single(Directory.EnumerateDirectories(_dir, "checkpoint-000001*", SearchOption.AllDirectories));
        Assert.Equal(Path.Combine(_dir, "set-aside", "checkpoint-000001-20261123T100000Z"), copy);
    }

    /// <summary>What is set aside may come from anyone: the caller makes it private after moving it.</summary>
    [SkippableStorageFact]
    public void MakePrivateTightensWhatIsBelowALocation()
    {
        string planted = Path.Combine(_dir, "set-aside", "checkpoint-000001-20261123T100000Z");
        Directory.CreateDirectory(planted);
        string file = Path.Combine(planted, "pages-1.img");
        File.WriteAllText(file, "x");
        File.SetUnixFileMode(file, (UnixFileMode)0x1ff);
        Node.MakePrivate("set-aside/checkpoint-000001-20261123T100000Z");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Node.MakePrivate("set-aside/checkpoint-000009-20261123T100000Z"); // absent: nothing to do
    }

    [SkippableStorageFact]
    public void AStagingAreaIsListedAsUnfinishedUntilItIsPublished()
    {
        using StagingCheckpoint staging = Stage(1);
        string unfinished = Assert.Single(Listing().Unfinished);
        Assert.StartsWith(".staging-000001-", unfinished, StringComparison.Ordinal);
        Assert.Equal(1, Listing().Newest);
        staging.Publish("checkpoint-000001", Seal(staging, "pages"), mac: null, whyNot: () => null);
        Assert.Empty(Listing().Unfinished);
        Assert.Equal([1], Listing().Committed);
    }

    /// <summary>A volume's commit is a rename: an abandoned dump was never committed, so its pack goes at once.</summary>
    [SkippableStorageFact]
    public void AnAbandonedDumpsPackGoesEvenOnceSealed()
    {
        StagingCheckpoint staging = Stage(1);
        Seal(staging, "pages");
        staging.Abandon();
        Assert.Empty(Listing().Packs);
        Assert.Empty(Listing().Unfinished);
    }

    /// <summary>A plain rename would replace an empty directory at the target: the commit's rename never does.</summary>
    [SkippableStorageFact]
    public void RenameNoReplaceMovesADirectoryWholeAndNeverOntoAnEmptyOne()
    {
        Directory.CreateDirectory(Path.Combine(_dir, ".staging-000001-0123abcd", "sub"));
        File.WriteAllText(Path.Combine(_dir, ".staging-000001-0123abcd", "sub", "pages-1.img"), "x");
        Directory.CreateDirectory(Path.Combine(_dir, "checkpoint-000001"));
        Assert.False(Backend.RenameNoReplace(".staging-000001-0123abcd", "checkpoint-000001"));
        Assert.True(File.Exists(Path.Combine(_dir, ".staging-000001-0123abcd", "sub", "pages-1.img")));

        Assert.True(Backend.RenameNoReplace(".staging-000001-0123abcd", "checkpoint-000002"));
        Assert.Equal("x", File.ReadAllText(Path.Combine(_dir, "checkpoint-000002", "sub", "pages-1.img")));
        Assert.False(Directory.Exists(Path.Combine(_dir, ".staging-000001-0123abcd")));
    }

    /// <summary>A volume's pack is a file at its key from the start, created only if absent: a link planted there is refused, never written through.</summary>
    [SkippableStorageFact]
    public void AnUploadRefusesALinkPlantedAtItsKey()
    {
        string target = Path.Combine(_dir, "elsewhere");
        Directory.CreateDirectory(Path.Combine(_dir, "packs"));
        File.CreateSymbolicLink(Path.Combine(_dir, "packs", "000001.pack"), target);
        Assert.ThrowsAny<IOException>(() => Backend.CreatePackUpload("packs/000001.pack"));
        Assert.False(File.Exists(target));
    }

    /// <summary>A copy reads its source as Read does: a link planted there is refused, never followed, and nothing is written.</summary>
    [SkippableStorageFact]
    public void ACopyRefusesALinkAtItsSource()
    {
        string secret = Path.Combine(_dir, "secret");
        File.WriteAllText(secret, "not crik's");
        Directory.CreateDirectory(Path.Combine(_dir, "restores"));
        File.CreateSymbolicLink(Path.Combine(_dir, "restores", "000001-001"), secret);
        Assert.Throws<UnsafeEntryException>(() => Backend.Copy("restores/000001-001", "restores/000001-002"));
        Assert.Equal(["000001-001"], Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "restores")).Select(Path.GetFileName));
    }
}

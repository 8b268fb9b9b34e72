using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Crik.Cli.Tests.Support;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>The store's commit and selection rules, on a real directory.</summary>
[Trait("Category", "Unit")]
public sealed class CheckpointStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-store-").FullName;
    private readonly VolumeGenerationStore _store;

    public CheckpointStoreTests() => _store = new VolumeGenerationStore(_dir, new LoggerConfiguration().CreateLogger());

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void FirstGenerationIsOne() => Assert.Equal(1, _store.NextGeneration());

    [Fact]
    public void CommitRenamesStagingAndWritesAManifestWithChecksums()
    {
        CommittedCheckpoint committed = StoreFixture.Commit(_store, "pages-1.img", "abc");
        Assert.Equal(Path.Combine(_dir, "checkpoint-000001"), committed.Directory);
        Assert.Empty(Directory.GetDirectories(_dir, ".staging-*"));
        ManifestFile file = Assert.Single(committed.Manifest.Files, f => f.Path == "pages-1.img");
        Assert.Equal(3, file.Size);
        Assert.Equal(["364b3fb7"], file.Crc32c); // CRC-32C of "abc"
        Assert.Null(StoreFixture.Verify(committed.Directory));
    }

    [Fact]
    public void LargeFilesAreChecksummedChunkByChunkAndACorruptChunkIsFound()
    {
        var data = new byte[FileDigest.ChunkBytes * 2 + 100];
        new Random(1).NextBytes(data);
        using StagingCheckpoint staging = _store.BeginCheckpoint();
        File.WriteAllBytes(Path.Combine(staging.Path, "pages-1.img"), data);
        CommittedCheckpoint committed = _store.Commit(staging, new Manifest { RootPid = 9001, Command = ["app"] }, keep: 2).Checkpoint;
        Assert.Equal(3, Assert.Single(committed.Manifest.Files, f => f.Path == "pages-1.img").Crc32c.Count);

        using (var stream = new FileStream(Path.Combine(committed.Directory, "pages-1.img"), FileMode.Open, FileAccess.Write))
        {
            stream.Position = FileDigest.ChunkBytes + 5; // a flipped byte in the middle chunk
            stream.WriteByte((byte)(data[FileDigest.ChunkBytes + 5] ^ 0xff));
        }
        Assert.Equal("pages-1.img does not match its checksum", StoreFixture.Verify(committed.Directory));
    }

    [Fact]
    public void NewestVerifiedGenerationIsChosen()
    {
        StoreFixture.Commit(_store, "pages-1.img", "one");
        StoreFixture.Commit(_store, "pages-1.img", "two", keep: 5);
        Assert.Equal(2, _store.FindRestorable()!.Manifest.Generation);
    }

    [Fact]
    public void CorruptNewestIsSetAsideAndTheOlderOneChosen()
    {
        StoreFixture.Commit(_store, "pages-1.img", "one");
        CommittedCheckpoint newest = StoreFixture.Commit(_store, "pages-1.img", "two", keep: 5);
        File.WriteAllText(Path.Combine(newest.Directory, "pages-1.img"), "TWO");
        Assert.Equal(1, _store.FindRestorable()!.Manifest.Generation);
        string setAside = Assert.Single(Directory.GetDirectories(_store.SetAsideDir));
        Assert.StartsWith("checkpoint-000002-", Path.GetFileName(setAside), StringComparison.Ordinal);
        Assert.Contains("does not match its checksum", File.ReadAllText(Path.Combine(setAside, "SET-ASIDE-REASON.txt")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("manifest")]
    [InlineData("garbage-manifest")]
    [InlineData("null-command")]
    public void IncompleteOrUnreadableCheckpointsAreNeverChosen(string damage)
    {
        CommittedCheckpoint committed = StoreFixture.Commit(_store, "pages-1.img", "one");
        string manifest = Path.Combine(committed.Directory, Manifest.FileName);
        switch (damage)
        {
            case "missing": File.Delete(Path.Combine(committed.Directory, "pages-1.img")); break;
            case "manifest": File.Delete(manifest); break;
            case "null-command": File.WriteAllText(manifest, TextEdits.Changed(File.ReadAllText(manifest), "\"command\":\\s*\\[", _ => "\"command\": null, \"x\": [")); break;
            default: File.WriteAllText(manifest, "{ not json"); break;
        }
        Assert.Null(_store.FindRestorable());
        Assert.Single(Directory.GetDirectories(_store.SetAsideDir));
    }

    [Fact]
    public void StagingLeftByACrashIsSetAsideAndNeverRestored()
    {
        StoreFixture.Commit(_store, "pages-1.img", "one");
        StagingCheckpoint staging = _store.BeginCheckpoint();
        File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "half");
        staging.Dispose();
        Assert.Equal(1, _store.FindRestorable()!.Manifest.Generation);
        Assert.False(Directory.Exists(staging.Path));
        Assert.Equal(3, _store.NextGeneration());
    }

    [Fact]
    public void PruneKeepsTheNewestGenerationsOnlyAfterTheCommit()
    {
        for (int generation = 1; generation <= 4; generation++)
        {
            StoreFixture.Commit(_store, "pages-1.img", $"g{generation}", keep: 2);
        }
        Assert.Equal(["checkpoint-000004", "checkpoint-000003"], _store.CommittedNames());
    }

    [Fact]
    public void CommitKeepsOnlyTheNewestCriuLogs()
    {
        Directory.CreateDirectory(_store.LogDir);
        for (int i = 0; i < StoreLayout.KeepLogFiles + 5; i++)
        {
            string log = Path.Combine(_store.LogDir, $"dump-{i + 100:D6}.log");
            File.WriteAllText(log, "x");
            File.SetLastWriteTimeUtc(log, DateTime.UtcNow.AddMinutes(i - 100));
        }
        StoreFixture.Commit(_store, "pages-1.img", "x", criuLog: "the dump's own log");
        string[] kept = Directory.GetFiles(_store.LogDir).Select(Path.GetFileName).OfType<string>().Order().ToArray();
        Assert.Equal(StoreLayout.KeepLogFiles, kept.Length);
        Assert.Equal("dump-000001.log", kept[0]);
        Assert.Equal("dump-000106.log", kept[1]);
    }

    [Fact]
    public void SetAsideCheckpointsCountForTheNextGeneration()
    {
        StoreFixture.Commit(_store, "pages-1.img", "x");
        _store.SetAside(_store.FindRestorable()!, "test");
        Assert.Equal(2, _store.NextGeneration());
    }

    [Fact]
    public void ManifestGenerationMustMatchTheDirectory()
    {
        CommittedCheckpoint committed = StoreFixture.Commit(_store, "pages-1.img", "x");
        Directory.Move(committed.Directory, Path.Combine(_dir, "checkpoint-000009"));
        Assert.Contains("names generation 1", StoreFixture.Verify(Path.Combine(_dir, "checkpoint-000009")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("checkpoint-000012", 12)]
    [InlineData(".staging-000013-ab12cd34", 13)]
    [InlineData("staging-000014-ab12cd34-20261121T000000Z", 14)]
    [InlineData("checkpoint-000015-20261121T000000Z", 15)]
    [InlineData("checkpoint-99999999999999999999", 0)]
    [InlineData("checkpoint-0000015", 0)]
    [InlineData("checkpoint-15", 0)]
    [InlineData("checkpoint-000015x", 0)]
    [InlineData("checkpoint-1000000", 1_000_000)]
    [InlineData("logs", 0)]
    public void GenerationsAreReadFromNames(string name, long generation) =>
        Assert.Equal(generation, StoreLayout.ParseGeneration(name));

    [Theory]
    [InlineData(7)]
    [InlineData(999_999)]
    [InlineData(1_000_000)]
    [InlineData(123_456_789_012_345)]
    public void APacksNameGivesBackItsGenerationAsTheGenerationsNameDoes(long generation)
    {
        Assert.Equal(generation, StoreLayout.ParsePackGeneration(StoreLayout.PackName(generation)));
        Assert.Equal(generation, StoreLayout.ParseGeneration(StoreLayout.CommittedName(generation)));
    }

    [Theory]
    [InlineData("0000007.pack")]
    [InlineData("00007.pack")]
    [InlineData("000007.pack.tmp")]
    [InlineData("12345x.pack")]
    public void NamesNoPackHasAreNotPacks(string name) => Assert.Equal(0, StoreLayout.ParsePackGeneration(name));

    [Fact]
    public void APackNumberedAMillionCountsTowardsTheNextGeneration()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "packs"));
        File.WriteAllText(Path.Combine(_dir, "packs", "1000000.pack"), "");
        Assert.Equal(1_000_001, _store.NextGeneration());
    }

    [Fact]
    public void EverythingTheStoreMakesIsPrivateWhateverModeCriuGaveIt()
    {
        using (StagingCheckpoint staging = _store.BeginCheckpoint())
        {
            Directory.CreateDirectory(Path.Combine(staging.Path, "sub"), (UnixFileMode)0x1ed /* 0755 */);
            File.WriteAllText(Path.Combine(staging.Path, "sub", "pages-1.img"), "x");
            File.SetUnixFileMode(Path.Combine(staging.Path, "sub", "pages-1.img"), (UnixFileMode)0x1a4 /* 0644 */);
            File.WriteAllText(Path.Combine(staging.Path, staging.Criu.LogName), "criu log");
            _store.Commit(staging, new Manifest { RootPid = 9001, Command = ["app"] }, keep: 2);
        }
        foreach (string entry in Directory.EnumerateFileSystemEntries(_dir, "*", SearchOption.AllDirectories))
        {
            UnixFileMode expected = Directory.Exists(entry) ? DirectoryHandle.PrivateDirectory : DirectoryHandle.PrivateFile;
            Assert.True(File.GetUnixFileMode(entry) == expected, $"{entry} is {File.GetUnixFileMode(entry)}");
        }
        Assert.True(File.Exists(Path.Combine(_store.LogDir, "dump-000001.log")));
    }
}

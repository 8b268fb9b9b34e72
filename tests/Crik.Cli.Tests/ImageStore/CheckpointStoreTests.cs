using Crik.Cli.ImageStore;
using Serilog;
using Xunit;
using Crik.TestSupport;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>The store's commit and selection rules, on a real directory.</summary>
public sealed class CheckpointStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-store-").FullName;
    private readonly CheckpointStore _store;

    public CheckpointStoreTests() => _store = new CheckpointStore(_dir, new LoggerConfiguration().CreateLogger());

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FirstGenerationIsOne() => Assert.Equal(1, _store.NextGeneration());

    [Fact]
    public void CommitRenamesStagingAndWritesAManifestWithChecksums()
    {
        CommittedCheckpoint committed = Commit(1, "pages-1.img", "abc");
        Assert.Equal(Path.Combine(_dir, "checkpoint-000001"), committed.Directory);
        Assert.Empty(Directory.GetDirectories(_dir, ".staging-*"));
        ManifestFile file = Assert.Single(committed.Manifest.Files, f => f.Path == "pages-1.img");
        Assert.Equal(3, file.Size);
        Assert.Equal(["364b3fb7"], file.Crc32c); // CRC-32C of "abc"
        Assert.Null(ManifestVerifier.Verify(committed.Directory, out _));
    }

    [Fact]
    public void LargeFilesAreChecksummedChunkByChunkAndACorruptChunkIsFound()
    {
        string staging = _store.CreateStaging(1);
        string pages = Path.Combine(staging, "pages-1.img");
        var data = new byte[FileDigest.ChunkBytes * 2 + 100];
        new Random(1).NextBytes(data);
        File.WriteAllBytes(pages, data);
        CommittedCheckpoint committed = _store.Commit(staging, new Manifest { Generation = 1, RootPid = 9001 }, keep: 2);
        Assert.Equal(3, Assert.Single(committed.Manifest.Files, f => f.Path == "pages-1.img").Crc32c.Count);

        using (var stream = new FileStream(Path.Combine(committed.Directory, "pages-1.img"), FileMode.Open, FileAccess.Write))
        {
            stream.Position = FileDigest.ChunkBytes + 5; // a flipped byte in the middle chunk
            stream.WriteByte((byte)(data[FileDigest.ChunkBytes + 5] ^ 0xff));
        }
        Assert.Equal("pages-1.img does not match its checksum", ManifestVerifier.Verify(committed.Directory, out _));
    }

    [Fact]
    public void NewestVerifiedGenerationIsChosen()
    {
        Commit(1, "pages-1.img", "one");
        Commit(2, "pages-1.img", "two", keep: 5);
        Assert.Equal(2, _store.FindRestorable()!.Manifest.Generation);
    }

    [Fact]
    public void CorruptNewestIsSetAsideAndTheOlderOneChosen()
    {
        Commit(1, "pages-1.img", "one");
        CommittedCheckpoint newest = Commit(2, "pages-1.img", "two", keep: 5);
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
    public void IncompleteCheckpointsAreNeverChosen(string damage)
    {
        CommittedCheckpoint committed = Commit(1, "pages-1.img", "one");
        switch (damage)
        {
            case "missing": File.Delete(Path.Combine(committed.Directory, "pages-1.img")); break;
            case "manifest": File.Delete(Path.Combine(committed.Directory, Manifest.FileName)); break;
            default: File.WriteAllText(Path.Combine(committed.Directory, Manifest.FileName), "{ not json"); break;
        }
        Assert.Null(_store.FindRestorable());
        Assert.Single(Directory.GetDirectories(_store.SetAsideDir));
    }

    [Fact]
    public void StagingLeftByACrashIsSetAsideAndNeverRestored()
    {
        Commit(1, "pages-1.img", "one");
        string staging = _store.CreateStaging(2);
        File.WriteAllText(Path.Combine(staging, "pages-1.img"), "half");
        Assert.Equal(1, _store.FindRestorable()!.Manifest.Generation);
        Assert.False(Directory.Exists(staging));
        Assert.Equal(3, _store.NextGeneration());
    }

    [Fact]
    public void PruneKeepsTheNewestGenerationsOnlyAfterTheCommit()
    {
        for (int generation = 1; generation <= 4; generation++)
        {
            Commit(generation, "pages-1.img", $"g{generation}", keep: 2);
        }
        Assert.Equal([Path.Combine(_dir, "checkpoint-000004"), Path.Combine(_dir, "checkpoint-000003")], _store.CommittedDirectories());
    }

    [Fact]
    public void CommitKeepsOnlyTheNewestCriuLogs()
    {
        Directory.CreateDirectory(_store.LogDir);
        for (int i = 0; i < CheckpointStore.KeepLogFiles + 5; i++)
        {
            string log = Path.Combine(_store.LogDir, $"dump-{i:D6}.log");
            File.WriteAllText(log, "x");
            File.SetLastWriteTimeUtc(log, DateTime.UtcNow.AddMinutes(i));
        }
        Commit(1, "pages-1.img", "x");
        string[] kept = Directory.GetFiles(_store.LogDir).Select(Path.GetFileName).OfType<string>().Order().ToArray();
        Assert.Equal(CheckpointStore.KeepLogFiles, kept.Length);
        Assert.Equal("dump-000005.log", kept[0]);
    }

    [Fact]
    public void SetAsideCheckpointsCountForTheNextGeneration()
    {
        CommittedCheckpoint committed = Commit(7, "pages-1.img", "x");
        _store.SetAside(committed.Directory, "test");
        Assert.Equal(8, _store.NextGeneration());
    }

    [Fact]
    public void ManifestGenerationMustMatchTheDirectory()
    {
        CommittedCheckpoint committed = Commit(1, "pages-1.img", "x");
        Directory.Move(committed.Directory, Path.Combine(_dir, "checkpoint-000009"));
        Assert.Contains("names generation 1", ManifestVerifier.Verify(Path.Combine(_dir, "checkpoint-000009"), out _), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("checkpoint-000012", 12)]
    [InlineData(".staging-000013-ab12cd34", 13)]
    [InlineData("staging-000014-ab12cd34-20261121T000000Z", 14)]
    [InlineData("checkpoint-000015-20261121T000000Z", 15)]
    [InlineData("logs", 0)]
    public void GenerationsAreReadFromNames(string name, long generation) =>
        Assert.Equal(generation, CheckpointStore.ParseGeneration(name));

    private CommittedCheckpoint Commit(long generation, string file, string content, int keep = 2)
    {
        string staging = _store.CreateStaging(generation);
        File.WriteAllText(Path.Combine(staging, file), content);
        return _store.Commit(staging, new Manifest { Generation = generation, RootPid = 9001, Command = ["app"] }, keep);
    }
}

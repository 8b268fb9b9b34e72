using System.Text;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>Which packs the store keeps: every one a generation in the directory uses, and no other.</summary>
[Trait("Category", "Unit")]
public sealed class PackRetentionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-packs-").FullName;
    private readonly VolumeGenerationStore _store;

    public PackRetentionTests() => _store = new VolumeGenerationStore(_dir, new LoggerConfiguration().CreateLogger());

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void APackIsKeptWhileAKeptGenerationUsesItsChunksAndDeletedAfter()
    {
        CommitStreamed("shared", "one");   // generation 1 writes "shared" and "one"
        CommittedCheckpoint two = CommitStreamed("shared", "two"); // reuses "shared" from pack 1
        Assert.All(two.Manifest.Files.Single(f => f.IsStreamed).Chunks!.Take(1), c => Assert.Equal(1, c.Pack));
        Assert.Equal(Encoding.UTF8.GetByteCount("two"), two.Manifest.WrittenBytes);
        CommitStreamed("new", "three");    // keep 2: generation 1 goes, but generation 2 still needs pack 1
        Assert.Equal(["000001.pack", "000002.pack", "000003.pack"], Packs());
        CommitStreamed("newer", "four");   // generation 2 goes: nothing needs packs 1 and 2
        Assert.Equal(["000003.pack", "000004.pack"], Packs());
        Assert.Null(StoreFixture.Verify(Path.Combine(_dir, "checkpoint-000004")));
    }

    [Fact]
    public void GenerationsFromAMillionOnAreReadBackForReuseAndRetention()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "packs"));
        File.WriteAllText(Path.Combine(_dir, "packs", "999999.pack"), ""); // the next generation is 1,000,000
        CommitStreamed("shared", "one");
        CommittedCheckpoint next = CommitStreamed("shared", "two");
        Assert.Equal(1_000_001, next.Manifest.Generation);
        Assert.Equal(1_000_000, next.Manifest.Files.Single(f => f.IsStreamed).Chunks![0].Pack);
        Assert.Equal(Encoding.UTF8.GetByteCount("two"), next.Manifest.WrittenBytes);
        // As crik images lists and verifies them.
        Assert.All(_store.ListGenerations(verify: true), g => Assert.True(g.Problem is null, $"{g.Name}: {g.Problem}"));
        CommitStreamed("newer", "three");
        CommitStreamed("newest", "four");
        Assert.Equal(["1000002.pack", "1000003.pack"], Packs());
    }

    [Fact]
    public void APackLeftByADumpThatNeverCommittedIsDeletedAtTheNextCommit()
    {
        using (_store.BeginCheckpoint())
        {
            // crik dies during the dump: its pack stays behind, its staging directory too.
        }
        Assert.Equal(["000001.pack"], Packs());
        CommitStreamed("a", "b");
        Assert.Equal(["000002.pack"], Packs());
    }

    [Fact]
    public void ASetAsideGenerationKeepsItsPacks()
    {
        CommittedCheckpoint one = CommitStreamed("a", "b");
        _store.SetAside(one, "of another app");
        CommitStreamed("c", "d");
        CommitStreamed("e", "f");
        CommitStreamed("g", "h");
        Assert.Contains("000001.pack", Packs());
    }

    private CommittedCheckpoint CommitStreamed(params string[] chunks)
    {
        using StagingCheckpoint staging = _store.BeginCheckpoint();
        List<ChunkRef> refs = chunks.Select(c => staging.Pack.Add(Encoding.UTF8.GetBytes(c))).ToList();
        var image = new ManifestFile("pages-1.img", refs.Sum(r => (long)r.Length), [], refs);
        return _store.Commit(staging, new Manifest { RootPid = 9001, Command = ["app"], Files = [image] }, keep: 2).Checkpoint;
    }

    private List<string> Packs() => Directory.GetFiles(Path.Combine(_dir, "packs")).Select(Path.GetFileName).OfType<string>().Order().ToList();
}

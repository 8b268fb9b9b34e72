using Crik.Cli.Chunks;
using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>What a whole generation may hold besides what its manifest lists.</summary>
[Trait("Category", "Unit")]
public sealed class WholeGenerationTests
{
    private static readonly ManifestFile Streamed = new("pages-1.img", 10, [], [new ChunkRef("c1", 1, 0, 10)]);
    private static readonly ManifestFile Beside = new("fs/etc/hosts", 10, []);

    [Fact]
    public void OnlyAnEncryptedGenerationMustHoldNothingElse()
    {
        Assert.True(WholeGeneration.MustHoldNothingElse(new Manifest { KeyId = "0123456789abcdef" }));
        Assert.False(WholeGeneration.MustHoldNothingElse(new Manifest()));
    }

    [Fact]
    public void AnEncryptedGenerationMayHoldItsManifestItsFilesTheirDirectoriesAndWhatCrikAddsLater()
    {
        var manifest = new Manifest
        {
            Files = [Streamed, Beside],
            ExtraFiles = [new SavedFile("/data/empty", SavedFile.Directory, 0, 0, 0, default, default)],
        };
        (HashSet<string> files, HashSet<string> directories) = WholeGeneration.MayHold(manifest, [StoreLayout.SetAsideReasonFile]);
        Assert.Equal(new HashSet<string> { Manifest.FileName, Manifest.MacFileName, StoreLayout.SetAsideReasonFile, "fs/etc/hosts" }, files);
        Assert.Equal(new HashSet<string> { "extra-files", "fs", "fs/etc", "extra-files/data", "extra-files/data/empty" }, directories);
    }

    [Fact]
    public void AGenerationInObjectStorageHasOnlyChunks()
    {
        Assert.Null(WholeGeneration.InObjectStorage(new Manifest { Files = [Streamed] }));
        Assert.Contains("fs/etc/hosts", WholeGeneration.InObjectStorage(new Manifest { Files = [Streamed, Beside] }), StringComparison.Ordinal);
    }
}

using Crik.Cli.Interop;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

/// <summary>One parser reads both backends' listings: a volume's directories and object storage's objects name the same generations.</summary>
[Trait("Category", "Unit")]
public sealed class StoreLayoutParseTests
{
    private static readonly DateTimeOffset Written = new(2026, 11, 26, 1, 0, 0, TimeSpan.Zero);

    private static StoredEntry Directory(string key) => new(key, FileKind.Directory, Written);

    private static StoredEntry File(string key) => new(key, FileKind.Regular, Written);

    private static readonly StoredEntry[] OnAVolume =
    [
        Directory("checkpoint-000007"), Directory("checkpoint-000005"), Directory("retired"), Directory("set-aside"), Directory("packs"),
        Directory("restores"), Directory("logs"), Directory("retired/checkpoint-000003"), Directory("set-aside/checkpoint-000004-20261123T100000Z"),
        File("set-aside/notes"), File("packs/000007.pack"), File("packs/000009.pack"), File("packs/notes.txt"),
        File("restores/000007-001"), File("restores/finished-000002"), File("logs/dump-000007.log"),
    ];

    private static readonly StoredEntry[] InObjectStorage =
    [
        File("checkpoint-000007/manifest.json"), File("checkpoint-000007/manifest.hmac"), File("checkpoint-000005/manifest.json"),
        File("retired/checkpoint-000003/manifest.json"), File("set-aside/checkpoint-000004-20261123T100000Z/manifest.json"),
        File("set-aside/checkpoint-000004-20261123T100000Z/SET-ASIDE-REASON.txt"), File("set-aside/notes/x"),
        File("packs/000007.pack"), File("packs/000009.pack"), File("packs/notes.txt"),
        File("restores/000007-001"), File("restores/finished-000002"), File("logs/dump-000007.log"),
    ];

    [Fact]
    public void AVolumeAndObjectStorageHoldingTheSameGenerationsListTheSame()
    {
        foreach (StoredEntry[] entries in new[] { OnAVolume, InObjectStorage })
        {
            StoreListing listing = StoreListingParser.Parse(entries, out List<StoredEntry> ignored);
            Assert.Empty(ignored);
            Assert.Equal([7, 5], listing.Committed);
            Assert.Equal([3], listing.Retired);
            Assert.Equal(["checkpoint-000004-20261123T100000Z"], listing.SetAside);
            Assert.Equal(["checkpoint-000004-20261123T100000Z", "notes"], listing.SetAsideTaken.Order(StringComparer.Ordinal));
            Assert.Equal([7, 9], listing.Packs);
            Assert.Equal(["000007-001", "finished-000002"], listing.Marks);
            Assert.Equal(["dump-000007.log"], listing.Logs.Select(l => l.Name));
            Assert.Equal(9, listing.Newest);
        }
    }

    /// <summary>An operator's copy beside a generation (checkpoint-000007-bak) is no generation: taken for 7 it would outlive 7 itself.</summary>
    [Fact]
    public void ACopyNamedAfterAGenerationIsNotCommittedButItsNumberIsNeverReused()
    {
        StoreListing onAVolume = StoreListingParser.Parse(
            [Directory("checkpoint-000007-bak"), Directory("checkpoint-000005"), Directory("retired/checkpoint-000003-old")], out _);
        StoreListing inObjectStorage = StoreListingParser.Parse(
            [File("checkpoint-000007-bak/manifest.json"), File("checkpoint-000005/manifest.json"), File("retired/checkpoint-000003-old/manifest.json")], out _);
        foreach (StoreListing listing in new[] { onAVolume, inObjectStorage })
        {
            Assert.Equal([5], listing.Committed);
            Assert.Empty(listing.Retired);
            Assert.Equal(7, listing.Newest);
        }
    }

    [Fact]
    public void AStagingDirectoryIsUnfinishedAndCountsForTheNextGeneration()
    {
        StoreListing listing = StoreListingParser.Parse([Directory(".staging-000008-ab12cd34")], out _);
        Assert.Equal([".staging-000008-ab12cd34"], listing.Unfinished);
        Assert.Empty(listing.Committed);
        Assert.Equal(8, listing.Newest);
    }

    [Fact]
    public void AGenerationsNameOnALinkOrAFileIsIgnoredAndSaidSo()
    {
        StoredEntry link = new("checkpoint-000003", FileKind.SymbolicLink, Written);
        StoreListing listing = StoreListingParser.Parse([link, File(".staging-000004-ab12cd34"), Directory("checkpoint-000001")], out List<StoredEntry> ignored);
        Assert.Equal([1], listing.Committed);
        Assert.Empty(listing.Unfinished);
        Assert.Equal([link.Key, ".staging-000004-ab12cd34"], ignored.Select(e => e.Key));
    }

    /// <summary>
    /// A file or a link planted in retired/ or set-aside/ at a committed generation's name: before, the generation counted as
    /// half moved there, was never restored, and the next commit deleted it.
    /// </summary>
    [Fact]
    public void AFileAtAGenerationsNameInRetiredOrSetAsideLeavesTheCommittedGenerationAlone()
    {
        StoredEntry link = new("set-aside/checkpoint-000005", FileKind.SymbolicLink, Written);
        StoreListing listing = StoreListingParser.Parse(
            [Directory("checkpoint-000007"), Directory("checkpoint-000005"), File("retired/checkpoint-000007"), link], out List<StoredEntry> ignored);
        StoreListing settled = listing.Settled();
        Assert.Equal([7, 5], settled.Committed);
        Assert.Empty(settled.HalfRetired);
        Assert.Empty(settled.HalfSetAside);
        Assert.Empty(listing.Retired);
        Assert.Empty(listing.SetAside);
        Assert.Equal(["checkpoint-000005"], listing.SetAsideTaken); // the name is taken all the same: a move there would fail
        Assert.Equal(["retired/checkpoint-000007", link.Key], ignored.Select(e => e.Key));
        Assert.Empty(Crik.Cli.Decisions.Retention.Generations(settled, keep: 2));
    }
}

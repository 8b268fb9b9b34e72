using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// Reads with a cap or of a byte range, and Describe.
public abstract partial class StorageContract
{
    /// <summary>The caller tells a file too large by its length: a read with a cap gives at most one byte more than the cap.</summary>
    [SkippableStorageFact]
    public void AReadWithACapGivesAtMostOneByteMoreThanIt()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("0123456789")));
        Assert.Equal("0123", Text(Backend.Read("restores/000001-001", 3)));
        Assert.Equal("0", Text(Backend.Read("restores/000001-001", 0)));
        Assert.Equal("0123456789", Text(Backend.Read("restores/000001-001", 9)));
        Assert.Equal("0123456789", Text(Backend.Read("restores/000001-001", 4095)));
        Assert.Null(Backend.Read("restores/000001-002", 4095));
    }

    /// <summary>A file larger than a read's first request (a manifest of megabytes) is read whole, and one a byte over the cap is told.</summary>
    [SkippableStorageFact]
    public void AFileOfMegabytesIsReadWholeAndOneOverTheCapByOneByteMore()
    {
        byte[] content = new byte[(1 << 20) + 4321];
        new Random(7).NextBytes(content);
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", content));
        Assert.Equal(content, Backend.Read("restores/000001-001", 16 << 20));
        Assert.Equal(content, Backend.Read("restores/000001-001", content.Length));
        Assert.Equal(content[..^1], Backend.Read("restores/000001-001", content.Length - 2));
        Assert.Equal(content[1000..], Backend.Read("restores/000001-001", 1000, 16 << 20));
    }

    [SkippableStorageFact]
    public void AnEmptyFileReadsAsNoBytesWhateverTheCap()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", []));
        Assert.Equal("", Text(Backend.Read("restores/000001-001", 4095)));
        Assert.Equal("", Text(Backend.Read("restores/000001-001", 0)));
    }

    [SkippableStorageFact]
    public void ARangeReadGivesTheBytesFromItsOffset()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("0123456789")));
        Assert.Equal("0123", Text(Backend.Read("restores/000001-001", 0, 4)));
        Assert.Equal("3456", Text(Backend.Read("restores/000001-001", 3, 4)));
        Assert.Equal("0123456789", Text(Backend.Read("restores/000001-001", 0, 10)));
    }

    [SkippableStorageFact]
    public void ARangeReadGivesFewerBytesAtTheEndAndNoneFromItOn()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("0123456789")));
        Assert.Equal("789", Text(Backend.Read("restores/000001-001", 7, 100)));
        Assert.Equal("", Text(Backend.Read("restores/000001-001", 10, 4)));
        Assert.Equal("", Text(Backend.Read("restores/000001-001", 1000, 4)));
    }

    [SkippableStorageFact]
    public void AZeroLengthRangeReadSaysWhetherTheFileIsThere()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("0123456789")));
        Assert.Equal("", Text(Backend.Read("restores/000001-001", 0, 0)));
        Assert.Equal("", Text(Backend.Read("restores/000001-001", 5, 0)));
        Assert.Null(Backend.Read("restores/000001-002", 0, 0));
        Assert.Null(Backend.Read("restores/000001-002", 0, 4));
        Assert.Null(Backend.Read("logs/absent/dump-000001.log", 0, 4));
    }

    [SkippableStorageFact]
    public void DescribeGivesAFilesKindAndSizeAndNullForWhatIsAbsent()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("0123456789")));
        StoredStatus status = Backend.Describe("restores/000001-001")!;
        Assert.Equal(FileKind.Regular, status.Kind);
        Assert.Equal(10, status.Size);
        Assert.Null(Backend.Describe("restores/000001-002"));
        Assert.Null(Backend.Describe("logs/absent/dump-000001.log"));
    }
}

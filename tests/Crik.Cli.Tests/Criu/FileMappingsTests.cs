using System.Text;
using Crik.Cli.Criu;
using Xunit;

namespace Crik.Cli.Tests.Criu;

/// <summary>The files a dumped process maps privately, read from its mm image and files.img as CRIU writes them.</summary>
public class FileMappingsTests
{
    private const ulong PrivateAnonymous = 0x22, PrivateFile = 0x02; // MAP_PRIVATE | MAP_ANONYMOUS, MAP_PRIVATE
    private const ulong RegularAnonPrivate = 0x201, RegularFilePrivate = 0x41, RegularFileShared = 0x81; // VMA_AREA_REGULAR with VMA_ANON_PRIVATE, VMA_FILE_PRIVATE, VMA_FILE_SHARED

    [Fact]
    public void OnlyPrivateFileMappingsAreListedWithTheirFileOffsetLengthAndWhetherTheyHoldCode()
    {
        byte[] code = Protobuf.Message((1, 0x400000), (2, 0x402000), (3, 0x1000), (4, 7), (5, 5), (6, PrivateFile), (7, RegularFilePrivate), (8, 1));
        byte[] data = Protobuf.Message((1, 0x402000), (2, 0x403000), (3, 0x3000), (4, 7), (5, 1), (6, PrivateFile), (7, RegularFilePrivate));
        byte[] heap = Protobuf.Message((1, 0x500000), (2, 0x600000), (4, 0), (5, 3), (6, PrivateAnonymous), (7, RegularAnonPrivate));
        byte[] shared = Protobuf.Message((1, 0x700000), (2, 0x800000), (4, 9), (5, 3), (6, 0x01), (7, RegularFileShared));
        byte[] mm = [.. Protobuf.Message((1, 0x400000)), .. new[] { code, data, heap, shared }.SelectMany(v => Protobuf.Embedded(14, v))];

        List<FileMapping> mappings = FileMappings.Private(Protobuf.Image(0x57492820, mm));

        Assert.Equal([new FileMapping(7, 0x1000, 0x2000, Executable: true), new FileMapping(7, 0x3000, 0x1000, Executable: false)], mappings);
    }

    [Fact]
    public void TheFilesImageGivesTheRegularFilesPathsByIdAndNothingElse()
    {
        byte[] library = [.. Protobuf.Message((1, 1), (2, 7)), .. Protobuf.Embedded(3, [.. Protobuf.Message((1, 7), (2, 0), (3, 0)), .. Name("/usr/lib/libc.so.6")])];
        byte[] pipe = Protobuf.Message((1, 2), (2, 8));
        byte[] unnamed = Protobuf.Message((1, 1), (2, 9)); // a regular entry without its reg part names nothing

        Dictionary<uint, string> paths = RegularFilesImage.Parse(Protobuf.Image(0x56303138, library, pipe, unnamed));

        Assert.Equal(new Dictionary<uint, string> { [7] = "/usr/lib/libc.so.6" }, paths);
    }

    [Fact]
    public void AnImageOfAnotherKindIsRefused()
    {
        Assert.Throws<FormatException>(() => RegularFilesImage.Parse(Protobuf.Image(0x57492820, Protobuf.Message((1, 1)))));
        Assert.Throws<FormatException>(() => FileMappings.Private(Protobuf.Image(0x56303138, Protobuf.Message((1, 1)))));
    }

    private static byte[] Name(string path) => [.. Protobuf.Varint((6 << 3) | 2), .. Protobuf.Varint((ulong)Encoding.UTF8.GetByteCount(path)), .. Encoding.UTF8.GetBytes(path)];
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>An image with slices lists each chunk once and its pieces by number, packed (format 5); the shapes of formats 3 and 4 are still read.</summary>
[Trait("Category", "Unit")]
public sealed class ManifestPiecesTests
{
    private static readonly ChunkRef A = new(new string('a', 64), Pack: 1, Offset: 0, Length: 8192, Xxh3: "0123456789abcdef");
    private static readonly ChunkRef B = new(new string('b', 64), Pack: 2, Offset: 4096, Length: 4096, PlainLength: 12288, Codec: "zstd");

    /// <summary>Pages of A around a page the app wrote (in B), then B whole, then A's last page again.</summary>
    private static readonly ChunkRef[] Pieces = [A.Slice(0, 4096), B.Slice(0, 4096), A.Slice(4096, 4096), B, A.Slice(4096, 4096)];

    [Fact]
    public void AnImageWithSlicesIsReadBackPieceForPiece()
    {
        Manifest read = Read(Serialize(Sliced()));
        Assert.Equal(Pieces, read.Files[0].Chunks);
        Assert.Equal(Manifest.PackedPiecesFormat, read.Format);
    }

    [Fact]
    public void PiecesListedBeforeTheirChunksAreReadAlike()
    {
        var file = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(Serialize(Sliced()))!["files"]![0]!;
        System.Text.Json.Nodes.JsonNode chunks = file["chunks"]!;
        file.Remove("chunks");
        file["chunks"] = chunks; // now after "pieces"
        string json = file.Root.ToJsonString();
        Assert.True(json.IndexOf("\"pieces\"", StringComparison.Ordinal) < json.IndexOf("\"chunks\"", StringComparison.Ordinal), json);
        Assert.Equal(Pieces, Read(Encoding.UTF8.GetBytes(json)).Files[0].Chunks);
    }

    [Fact]
    public void EachChunkIsWrittenOnceAndEachPieceAsThreeNumbersPacked()
    {
        JsonObject file = JsonNode.Parse(Serialize(Sliced()))!["files"]![0]!.AsObject();
        Assert.Equal([A.Id, B.Id], file["chunks"]!.AsArray().Select(c => (string)c!["id"]!));
        Assert.Null(file["chunks"]![0]!["take"]);
        // Unsigned LEB128: 4096 is 0x80 0x20, 12288 is 0x80 0x60.
        byte[] packed = Convert.FromBase64String((string)file["pieces"]!);
        Assert.Equal([0, 0, 0x80, 0x20, 1, 0, 0x80, 0x20, 0, 0x80, 0x20, 0x80, 0x20, 1, 0, 0x80, 0x60, 0, 0x80, 0x20, 0x80, 0x20], packed);
    }

    [Fact]
    public void FormatFoursListOfNumbersIsStillRead()
    {
        string json = Encoding.UTF8.GetString(Serialize(Sliced())).Replace(PackedOf(Sliced()), $"\"pieces\":{FormatFour}", StringComparison.Ordinal);
        Assert.Contains(FormatFour, json, StringComparison.Ordinal);
        Assert.Equal(Pieces, Read(Encoding.UTF8.GetBytes(json)).Files[0].Chunks);
    }

    [Fact]
    public void AnImageWithoutSlicesIsWrittenAsFormatTwoWroteIt()
    {
        var manifest = new Manifest { Files = [new ManifestFile("pages-1.img", 12288, [], [A, B])] };
        JsonObject file = JsonNode.Parse(Serialize(manifest))!["files"]![0]!.AsObject();
        Assert.Null(file["pieces"]);
        Assert.Equal([A.Id, B.Id], file["chunks"]!.AsArray().Select(c => (string)c!["id"]!));
        Assert.Equal([A, B], Read(Serialize(manifest)).Files[0].Chunks);
    }

    [Fact]
    public void FormatThreesSlicesEachAWholeEntryAreStillRead()
    {
        string chunk(ChunkRef c) => JsonSerializer.Serialize(c, ManifestJsonContext.Default.ChunkRef);
        string json = $$"""{"format":3,"files":[{"path":"pages-1.img","size":20480,"crc32c":[],"chunks":[{{string.Join(",", Pieces.Select(chunk))}}]}]}""";
        Assert.Equal(Pieces, Read(Encoding.UTF8.GetBytes(json)).Files[0].Chunks);
    }

    [Fact]
    public void AScatteredImageTakesAFractionOfFormatThreesBytes()
    {
        // 1,000 chunks, each cut by 20 written pages: 21,000 slices.
        var pieces = new List<ChunkRef>();
        for (int c = 0; c < 1000; c++)
        {
            ChunkRef chunk = A with { Id = c.ToString("x64"), Offset = c * 90L * 4096, Length = 90 * 4096 };
            pieces.AddRange(Enumerable.Range(0, 21).Select(s => chunk.Slice(s * 4 * 4096, 4096)));
        }
        var manifest = new Manifest { Files = [new ManifestFile("pages-1.img", 21000 * 4096L, [], pieces)] };
        long formatThree = pieces.Sum(p => JsonSerializer.SerializeToUtf8Bytes(p, ManifestJsonContext.Default.ChunkRef).Length + 1);
        byte[] json = Serialize(manifest);
        Assert.True(json.Length * 4 < formatThree, $"{json.Length} bytes against {formatThree}");
        Assert.Equal(pieces, Read(json).Files[0].Chunks);
    }

    [Theory]
    [InlineData("[0,0]")] // not three numbers a piece
    [InlineData("[2,0,4096]")] // no such chunk
    [InlineData("[-1,0,4096]")]
    [InlineData("[0,-4096,4096]")]
    [InlineData("[0,0,0]")]
    [InlineData("[0,0,99999999999]")]
    [InlineData("[0,0,\"x\"]")]
    [InlineData("[0,0,null]")]
    [InlineData("null")]
    [InlineData("\"!not base64!\"")]
    [InlineData("\"AAAA\"")] // 0 0 0: a piece of no bytes
    [InlineData("\"AAA=\"")] // two numbers
    [InlineData("\"AACAIAE=\"")] // a piece and one number
    [InlineData("\"AACA\"")] // a number cut off
    [InlineData("\"AgCAIA==\"")] // no chunk 2
    [InlineData("\"AP///////////wGAIA==\"")] // a number of ten bytes, too big
    public void PiecesThatNameNothingAreAReasonNotACrash(string pieces)
    {
        string json = Encoding.UTF8.GetString(Serialize(Sliced())).Replace(PackedOf(Sliced()), $"\"pieces\":{pieces}", StringComparison.Ordinal);
        Assert.NotEqual(Encoding.UTF8.GetString(Serialize(Sliced())), json);
        Assert.Null(ManifestReader.TryParse(Serialize(Sliced()), out _));
        string? problem = ManifestReader.TryParse(Encoding.UTF8.GetBytes(json), out Manifest? manifest);
        Assert.True(problem is not null, $"accepted: {json}");
        Assert.StartsWith("its manifest", problem, StringComparison.Ordinal);
        Assert.Null(manifest);
    }

    [Fact]
    public void PiecesWithoutTheirChunksAreAReason()
    {
        string json = """{"format":4,"command":["x"],"criuVersion":"4.2","treePids":[1],"stdio":[],"externalMounts":[],"additionalPaths":[],"rootPid":1,"files":[{"path":"pages-1.img","size":4096,"crc32c":[],"pieces":[0,0,4096]}]}""";
        Assert.Contains("pieces of pages-1.img", ManifestReader.TryParse(Encoding.UTF8.GetBytes(json), out _), StringComparison.Ordinal);
    }

    private static Manifest Sliced() => new()
    {
        Format = Manifest.PackedPiecesFormat,
        Generation = 2,
        Command = ["app"],
        CriuVersion = "4.2.1",
        RootPid = 9001,
        TreePids = [9001],
        Files = [new ManifestFile("pages-1.img", 20480, [], Pieces)],
    };

    /// <summary>What format 4 wrote for <see cref="Pieces"/>.</summary>
    private const string FormatFour = "[0,0,4096,1,0,4096,0,4096,4096,1,0,12288,0,4096,4096]";

    /// <summary>The "pieces" entry of <paramref name="manifest"/>'s first file, as written.</summary>
    private static string PackedOf(Manifest manifest) =>
        $"\"pieces\":\"{(string)JsonNode.Parse(Serialize(manifest))!["files"]![0]!["pieces"]!}\"";

    private static byte[] Serialize(Manifest manifest) => JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest);

    private static Manifest Read(byte[] json) => JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Manifest)!;
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Crik.Cli.Chunks;

namespace Crik.Cli.Records;

/// <summary>
/// A <see cref="ManifestFile"/> in its manifest. An image without slices lists its chunks, one entry a piece, as
/// format 2 does. An image with slices (format 4) lists each chunk it uses once, under "chunks", and its pieces under
/// "pieces", three numbers each: the chunk's place in that list, and the piece's first byte and length in it; format 4
/// writes them as a list of numbers, format 5 packed (<see cref="PackedPieces"/>). An app whose writes are scattered
/// leaves tens of thousands of slices of a few thousand chunks: written one entry each, as format 3 did, the 2 GiB app's
/// manifest took 9.1 MB, a tenth of a second to write and more to read on the way to its restore. Every shape is read.
/// </summary>
internal sealed class ManifestFileJson : JsonConverter<ManifestFile>
{
    public override ManifestFile? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        Expect(ref reader, JsonTokenType.StartObject);
        string? path = null;
        long size = 0;
        List<string>? crc32c = null;
        List<ChunkRef>? chunks = null;
        List<long>? pieces = null;
        byte[]? packed = null;
        List<ChunkRef>? pieceRefs = null;
        bool piecesNamed = false; // "pieces": null is a damaged image of format 4, not one of format 2
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "path": path = reader.GetString(); break;
                case "size": size = reader.GetInt64(); break;
                case "crc32c": crc32c = JsonSerializer.Deserialize(ref reader, ManifestJsonContext.Default.ListString); break;
                case "chunks": chunks = ChunkRefListJson.Read(ref reader, path); break;
                case "pieces" when reader.TokenType == JsonTokenType.String:
                    piecesNamed = true;
                    packed = reader.GetBytesFromBase64();
                    break;
                case "pieces" when chunks is not null:
                    // As written: after its chunks, so each piece is made as it is read, without a list of its numbers first.
                    piecesNamed = true;
                    pieceRefs = ReadPieces(ref reader, path, chunks);
                    break;
                case "pieces":
                    piecesNamed = true;
                    pieces = JsonSerializer.Deserialize(ref reader, ManifestJsonContext.Default.ListInt64);
                    break;
                default: reader.Skip(); break;
            }
        }
        Expect(ref reader, JsonTokenType.EndObject);
        return new ManifestFile(path!, size, crc32c!, !piecesNamed ? chunks
            : pieceRefs ?? (packed is not null && chunks is not null ? PackedPieces.Unpack(packed, path, chunks) : Pieces(path, chunks, pieces)));
    }

    public override void Write(Utf8JsonWriter writer, ManifestFile value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("path", value.Path);
        writer.WriteNumber("size", value.Size);
        writer.WritePropertyName("crc32c");
        JsonSerializer.Serialize(writer, value.Crc32c, ManifestJsonContext.Default.IReadOnlyListString);
        if (HasSlices(value))
        {
            WritePieces(writer, value.Chunks!);
        }
        else if (value.Chunks is not null)
        {
            writer.WritePropertyName("chunks");
            JsonSerializer.Serialize(writer, value.Chunks, ManifestJsonContext.Default.IReadOnlyListChunkRef);
        }
        writer.WriteEndObject();
    }

    /// <summary>Whether a manifest holding <paramref name="files"/> is written in the format of pieces.</summary>
    public static bool HasPieces(IEnumerable<ManifestFile> files) => files.Any(HasSlices);

    private static bool HasSlices(ManifestFile file) => file.Chunks?.Any(c => c.IsSlice) == true;

    private static void WritePieces(Utf8JsonWriter writer, IReadOnlyList<ChunkRef> chunks)
    {
        // By place in the packs, which names a chunk: hashing the records themselves took 30-100 ms for 53,000 slices.
        var places = new Dictionary<(long Pack, long Offset), int>();
        var wholes = new List<ChunkRef>();
        var numbers = new List<long>(chunks.Count * 3);
        foreach (ChunkRef piece in chunks)
        {
            if (!places.TryGetValue((piece.Pack, piece.Offset), out int place) || !SameChunk(wholes[place], piece))
            {
                places[(piece.Pack, piece.Offset)] = place = wholes.Count;
                wholes.Add(piece.Whole());
            }
            numbers.Add(place);
            numbers.Add(piece.From ?? 0);
            numbers.Add(piece.Size);
        }
        writer.WritePropertyName("chunks");
        JsonSerializer.Serialize(writer, wholes, ManifestJsonContext.Default.ListChunkRef);
        writer.WriteBase64String("pieces", PackedPieces.Pack(numbers));
    }

    private static bool SameChunk(ChunkRef whole, ChunkRef piece) =>
        whole.Id == piece.Id && whole.Length == piece.Length && whole.PlainLength == piece.PlainLength && whole.Codec == piece.Codec && whole.Xxh3 == piece.Xxh3;

    /// <summary>The pieces of an image of format 4; a number out of place is a manifest that cannot be read (the verifier checks the rest).</summary>
    private static List<ChunkRef> Pieces(string? path, List<ChunkRef>? chunks, List<long>? numbers)
    {
        if (chunks is null || numbers is null || numbers.Count % 3 != 0)
        {
            throw NotWhole(path);
        }
        var pieces = new List<ChunkRef>(numbers.Count / 3);
        for (int i = 0; i < numbers.Count; i += 3)
        {
            pieces.Add(Piece(path, chunks, pieces.Count, numbers[i], numbers[i + 1], numbers[i + 2]));
        }
        return pieces;
    }

    /// <summary>The pieces of an image of format 4 read straight from its array, three numbers at a time.</summary>
    private static List<ChunkRef> ReadPieces(ref Utf8JsonReader reader, string? path, List<ChunkRef> chunks)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"the pieces of {path} are not a list of numbers");
        }
        var pieces = new List<ChunkRef>();
        Span<long> numbers = stackalloc long[3];
        int count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.Number)
        {
            numbers[count++] = reader.GetInt64();
            if (count == 3)
            {
                pieces.Add(Piece(path, chunks, pieces.Count, numbers[0], numbers[1], numbers[2]));
                count = 0;
            }
        }
        if (reader.TokenType != JsonTokenType.EndArray || count != 0)
        {
            throw NotWhole(path);
        }
        return pieces;
    }

    /// <summary>Piece <paramref name="index"/> of an image: <paramref name="take"/> bytes from <paramref name="from"/> of chunk <paramref name="place"/>; throws JsonException when there is none such.</summary>
    internal static ChunkRef Piece(string? path, List<ChunkRef> chunks, int index, long place, long from, long take)
    {
        if (place < 0 || place >= chunks.Count || chunks[(int)place]?.Whole() is not { } whole || from is < 0 or > int.MaxValue || take is <= 0 or > int.MaxValue)
        {
            throw new JsonException($"piece {index} of {path} names chunk {place} of {chunks.Count}, bytes {from} to {from + take}");
        }
        return from == 0 && take == whole.WholeSize ? whole : whole with { From = (int)from, Take = (int)take };
    }

    /// <summary>The pieces of an image cannot be made: their chunks are missing, or their numbers are not three a piece.</summary>
    internal static JsonException NotWhole(string? path) => new($"the pieces of {path} are not whole (they need their chunks, three numbers each)");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (reader.TokenType != token)
        {
            throw new JsonException($"a file of the manifest has {reader.TokenType} where {token} belongs");
        }
    }
}

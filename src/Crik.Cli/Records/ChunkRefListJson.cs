using System.Text.Json;
using Crik.Cli.Chunks;

namespace Crik.Cli.Records;

/// <summary>
/// Reads an image's list of chunks, as the manifest's generated serializer writes it (camelCase names, nulls left out), by
/// hand: the serializer's way into a record's constructor took 3.5 µs a chunk, 13 ms of the 27 that a restore of a 2 GiB
/// app spent reading its manifest before CRIU could start. Read as the serializer reads it: names as written, other names
/// skipped, a name missing its type's default, a null entry null, a null number that must be one; a value of the wrong kind is a manifest that cannot be read.
/// </summary>
internal static class ChunkRefListJson
{
    public static List<ChunkRef>? Read(ref Utf8JsonReader reader, string? path)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"the chunks of {path} are not a list");
        }
        var chunks = new List<ChunkRef>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            chunks.Add(reader.TokenType == JsonTokenType.Null ? null! : ReadOne(ref reader, path));
        }
        return chunks;
    }

    private static ChunkRef ReadOne(ref Utf8JsonReader reader, string? path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"a chunk of {path} is {reader.TokenType}, not an object");
        }
        string? id = null, codec = null, xxh3 = null;
        long pack = 0, offset = 0;
        int length = 0;
        int? plainLength = null, from = null, take = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                id = Text(ref reader, path);
            }
            else if (reader.ValueTextEquals("pack"u8))
            {
                pack = Number(ref reader, path) ?? throw Missing("pack", path);
            }
            else if (reader.ValueTextEquals("offset"u8))
            {
                offset = Number(ref reader, path) ?? throw Missing("offset", path);
            }
            else if (reader.ValueTextEquals("length"u8))
            {
                length = Whole(Number(ref reader, path), path) ?? throw Missing("length", path);
            }
            else if (reader.ValueTextEquals("plainLength"u8))
            {
                plainLength = Whole(Number(ref reader, path), path);
            }
            else if (reader.ValueTextEquals("codec"u8))
            {
                codec = Text(ref reader, path);
            }
            else if (reader.ValueTextEquals("from"u8))
            {
                from = Whole(Number(ref reader, path), path);
            }
            else if (reader.ValueTextEquals("take"u8))
            {
                take = Whole(Number(ref reader, path), path);
            }
            else if (reader.ValueTextEquals("xxh3"u8))
            {
                xxh3 = Text(ref reader, path);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException($"a chunk of {path} is cut off");
        }
        return new ChunkRef(id!, pack, offset, length, plainLength, codec, from, take, xxh3);
    }

    private static string? Text(ref Utf8JsonReader reader, string? path)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"a chunk of {path} has {reader.TokenType} where a string belongs"),
        };
    }

    private static long? Number(ref Utf8JsonReader reader, string? path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value) ? value
            : throw new JsonException($"a chunk of {path} has {reader.TokenType} where a whole number belongs");
    }

    private static JsonException Missing(string name, string? path) => new($"a chunk of {path} has null for its {name}");

    private static int? Whole(long? number, string? path) => number is null or (>= int.MinValue and <= int.MaxValue) ? (int?)number
        : throw new JsonException($"a chunk of {path} has a length of {number} bytes, more than a chunk holds");
}

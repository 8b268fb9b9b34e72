using System.Text;
using System.Text.Json;
using Crik.Cli.Chunks;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>A manifest's lists of chunks, read by hand, read as the manifest's generated serializer reads them, or refused.</summary>
[Trait("Category", "Unit")]
public sealed class ChunkRefListJsonTests
{
    public static TheoryData<string> Lists => new()
    {
        "[]",
        """[{"id":"aa","pack":1,"offset":2,"length":3}]""",
        """[{"id":"aa","pack":1,"offset":2,"length":3,"plainLength":9,"codec":"zstd","from":1,"take":2,"xxh3":"0123456789abcdef"}]""",
        """[{"xxh3":"ff","length":3,"offset":2,"pack":1,"id":"bb"},{"id":"cc","pack":4,"offset":5,"length":6}]""",
        """[{"id":"aa","pack":1,"offset":2,"length":3,"plainLength":null,"codec":null,"from":null,"take":null,"xxh3":null}]""",
        """[{"id":"aa","pack":1,"later":{"a":[1,2,{"b":null}]},"offset":2,"length":3,"more":"x"}]""",
        """[{"pack":1,"offset":2,"length":3}]""",
        """[{"id":"aa"}]""",
        """[null,{"id":"aa","pack":1,"offset":2,"length":3}]""",
        """[{"id":"a\u0062","pack":9007199254740993,"offset":2,"length":2147483647}]""",
    };

    public static TheoryData<string> Refused => new()
    {
        """[{"id":1,"pack":1,"offset":2,"length":3}]""",
        """[{"id":"aa","pack":"1","offset":2,"length":3}]""",
        """[{"id":"aa","pack":1.5,"offset":2,"length":3}]""",
        """[{"id":"aa","pack":null,"offset":2,"length":3}]""",
        """[{"id":"aa","pack":1,"offset":2,"length":2147483648}]""",
        """[{"id":"aa","pack":1,"offset":2,"length":3,"take":true}]""",
        """[1]""",
        """{"id":"aa"}""",
    };

    [Theory]
    [MemberData(nameof(Lists))]
    public void AListIsReadAsTheGeneratedSerializerReadsIt(string json)
    {
        List<ChunkRef>? expected = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ListChunkRef);
        Assert.Equal(expected, Read(json));
    }

    [Fact]
    public void WhatTheManifestWritesIsReadBackWhole()
    {
        List<ChunkRef> chunks =
        [
            new(new string('a', 64), 1, 0, 8192, Xxh3: "0123456789abcdef"),
            new(new string('b', 64), 2, 4096, 4096, PlainLength: 12288, Codec: "zstd"),
            new(new string('c', 64), 3, 1L << 40, 4096, From: 1024, Take: 2048),
        ];
        Assert.Equal(chunks, Read(JsonSerializer.Serialize(chunks, ManifestJsonContext.Default.ListChunkRef)));
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void AValueOfTheWrongKindIsAListThatCannotBeRead(string json)
    {
        Assert.Throws<JsonException>(() => Read(json));
    }

    [Fact]
    public void NullIsNoList() => Assert.Null(Read("null"));

    private static List<ChunkRef>? Read(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        return ChunkRefListJson.Read(ref reader, "pages-1.img");
    }
}

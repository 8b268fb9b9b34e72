using System.Text;
using System.Text.Json;
using Crik.NodeStateServer.Kubernetes;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class NodeListReaderTests
{
    private const string Page = """
        {"kind":"NodeList","apiVersion":"v1",
         "metadata":{"resourceVersion":"42","continue":"next","remainingItemCount":3},
         "items":[{"metadata":{"name":"a"}}, null, 7, "s", [1,{"x":[]}], {"metadata":{"name":"b\u0022"},"spec":{"taints":[]}}],
         "extra":{"deep":[{"a":"}]"}]}}
        """;

    private static async Task<(KubeListMeta? Metadata, List<(JsonValueKind Kind, string Json)> Items)> ReadAsync(Stream stream)
    {
        var items = new List<(JsonValueKind, string)>();
        var metadata = await NodeListReader.ReadAsync(stream, (kind, json) => items.Add((kind, Encoding.UTF8.GetString(json))), CancellationToken.None);
        return (metadata, items);
    }

    private static readonly (JsonValueKind, string)[] PageItems =
    [
        (JsonValueKind.Object, """{"metadata":{"name":"a"}}"""),
        (JsonValueKind.Null, "null"),
        (JsonValueKind.Number, "7"),
        (JsonValueKind.String, "\"s\""),
        (JsonValueKind.Array, """[1,{"x":[]}]"""),
        (JsonValueKind.Object, """{"metadata":{"name":"b\u0022"},"spec":{"taints":[]}}"""),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4096)]
    public async Task EveryItemComesWholeHoweverTheBytesArrive(int bytesPerRead)
    {
        var (metadata, items) = await ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(Page), bytesPerRead));
        Assert.Equal("42", metadata?.ResourceVersion);
        Assert.Equal("next", metadata?.Continue);
        Assert.Equal(PageItems, items);
    }

    [Fact]
    public async Task AnItemLargerThanTheBufferGrowsIt()
    {
        var big = new string('x', 300_000);
        var json = "{\"items\":[{\"metadata\":{\"name\":\"" + big + "\"}}],\"metadata\":{\"resourceVersion\":\"1\"}}";
        var (metadata, items) = await ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(json), 10_000));
        Assert.Equal("1", metadata?.ResourceVersion);
        Assert.Equal("{\"metadata\":{\"name\":\"\"}}".Length + big.Length, Assert.Single(items).Json.Length);
    }

    [Fact]
    public async Task AnItemPastTheCapIsRefused()
    {
        var json = "{\"items\":[\"" + new string('x', NodeListReader.MaxItemBytes) + "\"]}";
        var e = await Assert.ThrowsAsync<JsonException>(() => ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json))));
        Assert.Contains("larger than 4 MiB", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""{"items":5}""")]
    [InlineData("""{"items":[{"metadata":{}}""")]
    [InlineData("""{"items":[] """)]
    [InlineData("""{"items":[}""")]
    [InlineData("")]
    public async Task WhatIsNotACompleteListIsAJsonError(string json) =>
        await Assert.ThrowsAnyAsync<JsonException>(() => ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json))));

    [Fact]
    public async Task AListWithoutMetadataOrItemsHasNeither()
    {
        var (metadata, items) = await ReadAsync(new MemoryStream("""{"items":null,"kind":"NodeList"}"""u8.ToArray()));
        Assert.Null(metadata);
        Assert.Empty(items);
    }

    /// <summary>Hands out at most a few bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(byte[] data, int bytesPerRead) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, bytesPerRead)], cancellationToken);
    }
}

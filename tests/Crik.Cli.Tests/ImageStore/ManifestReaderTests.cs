using System.Text.Json;
using System.Text.Json.Nodes;
using Crik.Cli.Criu;
using Crik.Cli.HostCompatibility;
using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>Whatever a manifest holds, reading it never throws: it is usable, or one line says why not.</summary>
[Trait("Category", "Unit")]
public sealed class ManifestReaderTests
{
    private static readonly Manifest Good = new()
    {
        Generation = 3,
        CreatedAt = DateTimeOffset.UnixEpoch,
        Command = ["sh", "-c", "x"],
        App = new AppIdentity(["sh", "-c", "x"], "/usr/bin/dash", 1000, "01234567"),
        CriuVersion = "4.2.1",
        Host = new HostFacts("x64", "6.18.0", ["avx2", "sse2"]),
        RootPid = 9001,
        TreePids = [9001],
        Stdio = ["pipe:[1]", "pipe:[2]", "pipe:[2]"],
        ExternalMounts = [new ExternalMount("/dev/null", "null")],
        AdditionalPaths = ["/tmp/x"],
        ExtraFiles = [new SavedFile("/tmp/x", SavedFile.File, 0x1a4, 0, 0, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)],
        Files = [new ManifestFile("pages-1.img", 3, ["364b3fb7"])],
    };

    /// <summary>Fields older manifests lack, which may be null.</summary>
    private static readonly string[] Optional = ["app", "extraFiles", "host", "compression", "keyId"];

    public static TheoryData<string> Fields() => new(JsonObject().Select(p => p.Key).Except(Optional));

    [Theory]
    [InlineData("app")]
    [InlineData("extraFiles")]
    [InlineData("host")]
    [InlineData("compression")]
    [InlineData("keyId")]
    public void FieldsOlderManifestsLackMayBeNull(string field) =>
        Assert.Null(ManifestReader.TryParse(System.Text.Encoding.UTF8.GetBytes(With(field, null)), out _));

    [Fact]
    public void AWholeManifestIsRead()
    {
        Assert.Null(ManifestReader.TryParse(JsonSerializer.SerializeToUtf8Bytes(Good, ManifestJsonContext.Default.Manifest), out Manifest? manifest));
        Assert.Equal(Good.Command, manifest!.Command);
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public void ANullInAnyFieldIsAReasonNotACrash(string field) => AssertUnusable(With(field, null));

    [Theory]
    [MemberData(nameof(Fields))]
    public void AWrongTypeInAnyFieldIsAReasonNotACrash(string field) =>
        AssertUnusable(With(field, field is "criuVersion" or "createdAt" ? JsonValue.Create(12) : JsonValue.Create("wrong")));

    [Theory]
    [InlineData("command", "[null]")]
    [InlineData("stdio", "[null]")]
    [InlineData("files", "[null]")]
    [InlineData("files", "[{\"path\":null,\"size\":1,\"crc32c\":[\"0\"]}]")]
    [InlineData("files", "[{\"path\":\"p\",\"size\":1,\"crc32c\":[null]}]")]
    [InlineData("externalMounts", "[{\"path\":null,\"key\":\"null\"}]")]
    [InlineData("extraFiles", "[{\"path\":\"/x\",\"kind\":null}]")]
    [InlineData("app", "{\"command\":null}")]
    [InlineData("host", "{\"architecture\":\"x64\",\"kernel\":\"6.1\",\"cpuFeatures\":[null]}")]
    [InlineData("host", "{\"architecture\":null,\"kernel\":\"6.1\",\"cpuFeatures\":[]}")]
    [InlineData("host", "{\"architecture\":\"x64\",\"kernel\":\"6.1\"}")]
    [InlineData("generation", "1e400")]
    [InlineData("files", "[{\"path\":\"p\",\"size\":1,\"crc32c\":[],\"chunks\":[null]}]")]
    [InlineData("files", "[{\"path\":\"p\",\"size\":1,\"crc32c\":[],\"chunks\":[{\"id\":null,\"pack\":1,\"offset\":0,\"length\":1}]}]")]
    [InlineData("files", "[{\"path\":\"p\",\"size\":1,\"crc32c\":[],\"chunks\":[{\"id\":\"ab\",\"pack\":1,\"offset\":0,\"length\":1}]}]")]
    [InlineData("files", "[{\"path\":\"p\",\"size\":1,\"crc32c\":[],\"chunks\":[{\"id\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"pack\":1,\"offset\":0,\"length\":1,\"codec\":\"gzip\"}]}]")]
    [InlineData("files", "[{\"path\":\"p\",\"size\":1,\"crc32c\":[],\"chunks\":[{\"id\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"pack\":0,\"offset\":0,\"length\":1}]}]")]
    [InlineData("keyId", "\"../../etc\"")]
    public void NullsAndNonsenseInsideFieldsAreReasons(string field, string json) => AssertUnusable(With(field, JsonNode.Parse(json)));

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{ not json")]
    [InlineData("\"a string\"")]
    public void NotAManifestAtAll(string json) => AssertUnusable(json);

    [Fact]
    public void AHugeManifestIsNotRead()
    {
        string problem = ManifestReader.TryParse(new byte[ManifestReader.MaxBytes + 1], out _)!;
        Assert.Contains("more than", problem, StringComparison.Ordinal);
    }

    private static void AssertUnusable(string json)
    {
        string? problem = ManifestReader.TryParse(System.Text.Encoding.UTF8.GetBytes(json), out Manifest? manifest);
        Assert.False(problem is null, $"accepted: {json}");
        Assert.StartsWith("its manifest", problem, StringComparison.Ordinal);
        Assert.Null(manifest);
    }

    private static JsonObject JsonObject() =>
        JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(Good, ManifestJsonContext.Default.Manifest))!.AsObject();

    private static string With(string field, JsonNode? value)
    {
        JsonObject json = JsonObject();
        json[field] = value;
        return json.ToJsonString();
    }
}

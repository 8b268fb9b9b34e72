using System.Security.Cryptography;
using Crik.Cli.ImageStore;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Records;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>
/// A stale crik (its lease lost, a request of its own landing late) writing the same generation as the
/// crik that committed it: on a store with conditional writes it never replaces what was committed.
/// </summary>
[Xunit.Collection(PodsKilledMidDump.Name)]
public sealed class StaleWriterTests : IDisposable
{
    private const int PartBytes = 5 << 20;
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    [S3Fact]
    public void AStaleCriksManifestNeverReplacesTheCommittedOneAndItsCommitFails()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        ILogger log = new LoggerConfiguration().CreateLogger();
        using var stale = new ObjectGenerationStore(TestS3.Client(_server, _http, "stale-manifest/", proxy.Endpoint), log);
        using var current = new ObjectGenerationStore(TestS3.Client(_server, _http, "stale-manifest/", proxy.Endpoint), log);
        using StagingCheckpoint late = stale.BeginCheckpoint();
        using StagingCheckpoint first = current.BeginCheckpoint();
        Assert.Equal(late.Generation, first.Generation);

        current.Commit(first, new Manifest { RootPid = 1, Command = ["current"] }, keep: 2);
        var error = Assert.ThrowsAny<IOException>(() => stale.Commit(late, new Manifest { RootPid = 2, Command = ["stale"] }, keep: 2));

        Assert.Contains("another crik committed generation 1", error.Message, StringComparison.Ordinal);
        string committed = System.Text.Encoding.UTF8.GetString(TestS3.Client(_server, _http, "stale-manifest/").TryGet("checkpoint-000001/manifest.json")!);
        Assert.Contains("\"current\"", committed, StringComparison.Ordinal);
    }

    [S3Fact]
    public void AStalePodsPackCompletionNeverReplacesACommittedPack()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = TestS3.Client(_server, _http, "stale-pack/", proxy.Endpoint);
        byte[] committed = RandomNumberGenerator.GetBytes(PartBytes + 100);
        byte[] late = RandomNumberGenerator.GetBytes(PartBytes + 200); // another length: a completion whose answer was lost is taken as ours only at its own length
        var staleUpload = TestS3.PackUpload(s3, "packs/000003.pack", PartBytes);
        staleUpload.Write(late, 0); // its first part is in the store before the other pod even starts
        var upload = TestS3.PackUpload(s3, "packs/000003.pack", PartBytes);
        upload.Write(committed, 0);
        upload.Complete();
        // s3rver answers a completion before the object shows in a HEAD, which the proxy's emulation of S3's atomic condition reads.
        Poll.Until(() => s3.TryGetLength("packs/000003.pack") == committed.Length, "s3rver to show the completed pack");

        var error = Assert.ThrowsAny<IOException>(staleUpload.Complete);

        Assert.Contains("exists already", error.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Seen, r => r.StartsWith("POST ", StringComparison.Ordinal) && r.Contains("uploadId=", StringComparison.Ordinal));
        var back = new byte[committed.Length];
        Assert.Equal(back.Length, s3.TryReadRange("packs/000003.pack", 0, back));
        Assert.Equal(committed, back);
    }

    [S3Fact]
    public void AStalePodsSmallPackNeverReplacesACommittedOne()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = TestS3.Client(_server, _http, "stale-small-pack/", proxy.Endpoint);
        byte[] committed = RandomNumberGenerator.GetBytes(1000);
        var upload = TestS3.PackUpload(s3, "packs/000004.pack", PartBytes);
        upload.Write(committed, 0);
        upload.Complete();
        var staleUpload = TestS3.PackUpload(s3, "packs/000004.pack", PartBytes);
        staleUpload.Write(RandomNumberGenerator.GetBytes(1000), 0);

        Assert.ThrowsAny<IOException>(staleUpload.Complete);

        Assert.Equal(committed, s3.TryGet("packs/000004.pack"));
    }

    public void Dispose()
    {
        _http.Dispose();
        _server?.Dispose();
    }
}

using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>crik check reaches an object store as a checkpoint would, and says what it found in one line.</summary>
public sealed class StoreCheckTests : IDisposable
{
    private readonly S3Server? _server = Prerequisites.InCi || S3Server.Missing() is null ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly TempDirectory _dir = new();

    [S3Fact]
    public void AStoreWithConditionalWritesIsReportedUsableAndNothingIsLeftInIt()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string line = ImageDirLine(Check("apps/checked", _server.Environment(proxy.Endpoint)));
        Assert.StartsWith("ok      imageDir s3://crik-test/apps/checked: crik listed it, wrote and deleted an object there, and the store honors conditional writes", line);
        Assert.Empty(TestS3.Client(_server, _http).List("apps/checked/"));
        Assert.Contains(proxy.Seen, r => r.StartsWith("PUT /crik-test/apps/checked/.crik-check-", StringComparison.Ordinal));
    }

    [S3Fact]
    public void AStoreThatIgnoresConditionalWritesIsANoteSayingToRunOnePodPerPrefix()
    {
        // s3rver, like older S3-compatible stores, writes regardless of If-None-Match and If-Match.
        string line = ImageDirLine(Check("apps/unconditional", _server!.Environment()));
        Assert.StartsWith("note    imageDir s3://crik-test/apps/unconditional: crik listed it, wrote and deleted an object there, but the store ignores conditional writes", line);
        Assert.Contains("run one pod per prefix", line, StringComparison.Ordinal);
        Assert.Empty(TestS3.Client(_server, _http).List("apps/unconditional/"));
    }

    [S3Fact]
    public void AStoreThatCannotBeReachedIsAProblemNamingTheRequestAndTheExitCodeIsOne()
    {
        (int code, string output) = Check("apps/unreachable", _server!.Environment($"http://127.0.0.1:{FreePort.Get()}"));
        Assert.Equal(1, code);
        string line = ImageDirLine((code, output));
        Assert.StartsWith("PROBLEM imageDir s3://crik-test/apps/unreachable: S3 listing of s3://crik-test/apps/unreachable/ failed", line);
        Assert.Contains("Connection refused", line, StringComparison.Ordinal);
    }

    [S3Fact]
    public void MissingCredentialsAreAProblemSayingWhatToSet()
    {
        Dictionary<string, string> environment = _server!.Environment();
        environment.Remove("AWS_SECRET_ACCESS_KEY");
        (int code, string output) = Check("apps/no-credentials", environment);
        Assert.Equal(1, code);
        Assert.Contains("only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set", ImageDirLine((code, output)), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
        _server?.Dispose();
    }

    private (int Code, string Output) Check(string prefix, Dictionary<string, string> environment)
    {
        string config = _dir.Write($"{prefix.Replace('/', '-')}.yaml", $"imageDir: s3://{S3Server.Bucket}/{prefix}\n");
        (int code, string output, string error) = CrikCommand.Run(["check", "--config", config], environment);
        return (code, output + error);
    }

    private static string ImageDirLine((int Code, string Output) check) =>
        check.Output.Split('\n').SingleOrDefault(l => l.Contains(" imageDir ", StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException($"no imageDir line:\n{check.Output}");
}

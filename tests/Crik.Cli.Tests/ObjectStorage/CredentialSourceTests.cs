using Crik.Cli.Timing;
using System.Net;
using System.Text;
using Crik.Cli.ObjectStorage;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>Credentials from the environment as AWS tools take them, and a web identity exchanged with an STS endpoint on loopback.</summary>
public sealed class CredentialSourceTests : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly TempDirectory _dir = new();

    [Fact]
    public void KeysFromTheEnvironmentAreUsedAsTheyAre()
    {
        var source = CredentialSource.FromEnvironment(Env(("AWS_ACCESS_KEY_ID", "AK"), ("AWS_SECRET_ACCESS_KEY", "SK"), ("AWS_SESSION_TOKEN", "T")), _http);
        Assert.Equal(new AwsCredentials("AK", "SK", "T"), source.Get(DateTimeOffset.UtcNow));
        Assert.DoesNotContain("SK", source.Get(DateTimeOffset.UtcNow).ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AWS_ACCESS_KEY_ID", "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set")]
    [InlineData("AWS_REGION", "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use a web identity")]
    public void MissingCredentialsSayWhatToSet(string onlyVariable, string problem) =>
        Assert.StartsWith(problem, Assert.Throws<FormatException>(() => CredentialSource.FromEnvironment(Env((onlyVariable, "x")), _http)).Message, StringComparison.Ordinal);

    [Fact]
    public void AWebIdentityTokenIsExchangedWithStsAndTheCredentialsAreRenewedWhenTheyExpire()
    {
        using var sts = new FakeSts();
        string token = _dir.Write("token", "eyJ-token-1\n");
        var source = CredentialSource.FromEnvironment(Env(("AWS_WEB_IDENTITY_TOKEN_FILE", token), ("AWS_ROLE_ARN", "arn:aws:iam::1:role/crik"),
            ("AWS_ENDPOINT_URL_STS", sts.Endpoint)), _http);
        DateTimeOffset now = DateTimeOffset.UtcNow;

        AwsCredentials first = source.Get(now);
        Assert.Equal(("ASIA1", "secret1", "session1"), (first.AccessKeyId, first.SecretAccessKey, first.SessionToken));
        Assert.Contains("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fcrik", sts.Forms[0], StringComparison.Ordinal);
        Assert.Contains("WebIdentityToken=eyJ-token-1&", sts.Forms[0] + "&", StringComparison.Ordinal);
        Assert.Same(first, source.Get(now.AddMinutes(30)));

        File.WriteAllText(token, "eyJ-token-2"); // the kubelet rotated it
        AwsCredentials second = source.Get(now.AddMinutes(56)); // within five minutes of the hour they last
        Assert.Equal("ASIA2", second.AccessKeyId);
        Assert.Contains("WebIdentityToken=eyJ-token-2", sts.Forms[1], StringComparison.Ordinal);
    }

    [Fact]
    public void AnStsRefusalSaysWhatToCheckInOneLine()
    {
        using var sts = new FakeSts { Refuse = true };
        var source = CredentialSource.FromEnvironment(Env(("AWS_WEB_IDENTITY_TOKEN_FILE", _dir.Write("token", "t")), ("AWS_ROLE_ARN", "arn:aws:iam::1:role/crik"),
            ("AWS_ENDPOINT_URL_STS", sts.Endpoint)), _http);
        var error = Assert.Throws<S3Exception>(() => source.Get(DateTimeOffset.UtcNow));
        Assert.Equal("STS refused AssumeRoleWithWebIdentity for arn:aws:iam::1:role/crik (403): AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity; "
            + "check the role's trust policy for this service account", error.Message);
    }

    [Fact]
    public void AnEmptyRegionIsTakenAsUnsetAndABadStsEndpointIsAConfigurationError()
    {
        Assert.Equal("https://sts.eu-west-3.amazonaws.com/",
            CredentialSource.StsEndpoint(Env(("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "eu-west-3"))).AbsoluteUri);
        var error = Assert.Throws<FormatException>(() => CredentialSource.FromEnvironment(Env(("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/crik"), ("AWS_ENDPOINT_URL_STS", "sts.internal:8443")), _http));
        Assert.StartsWith("the STS endpoint \"sts.internal:8443\" (AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL, else from AWS_REGION) is not an http:// or https:// URL",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnStsThatFailsForAMomentIsAskedAgain()
    {
        using var sts = new FakeSts { FailFirst = 2 };
        var source = CredentialSource.FromEnvironment(Env(("AWS_WEB_IDENTITY_TOKEN_FILE", _dir.Write("token", "t")), ("AWS_ROLE_ARN", "arn:aws:iam::1:role/crik"),
            ("AWS_ENDPOINT_URL_STS", sts.Endpoint)), _http, TestS3.QuickRetries);
        Assert.Equal("ASIA3", source.Get(DateTimeOffset.UtcNow).AccessKeyId);
        Assert.Equal(3, sts.Forms.Count);
    }

    [Fact]
    public void AnStsThatDoesNotAnswerHoldsARequestOnlyAsLongAsCrikHasForTheStore()
    {
        using var sts = new FakeSts { Delay = TimeSpan.FromSeconds(8) };
        S3Client s3 = ClientOnWebIdentity(sts);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (CallDeadline.Within(TimeSpan.FromSeconds(1)))
        {
            var error = Assert.Throws<S3Exception>(() => s3.TryGet("a"));
            Assert.StartsWith($"STS at {sts.Endpoint}/ did not answer AssumeRoleWithWebIdentity", error.Message, StringComparison.Ordinal);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the request gave up after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public void ARequestWithLittleTimeLeftDoesNotWaitOutAnotherRequestsExchangeWithSts()
    {
        using var sts = new FakeSts { Delay = TimeSpan.FromSeconds(8) };
        S3Client s3 = ClientOnWebIdentity(sts);
        // As a lease renewal does: on its own thread, with no deadline, on the same credentials.
        S3Client renewal = s3;
        var waiting = new Thread(() => Record.Exception(() => renewal.TryGet("lease"))) { IsBackground = true };
        waiting.Start();
        Poll.Until(() => sts.Forms.Count > 0, "the first request to reach STS");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (CallDeadline.Within(TimeSpan.FromSeconds(1)))
        {
            var error = Assert.Throws<S3Exception>(() => s3.TryGet("a"));
            Assert.Contains("still being fetched for another request", error.Message, StringComparison.Ordinal);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the request gave up after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>A client whose credentials come from <paramref name="sts"/>; its store is a port nobody listens on.</summary>
    private S3Client ClientOnWebIdentity(FakeSts sts) => TestS3.Client(new Dictionary<string, string>
    {
        ["AWS_WEB_IDENTITY_TOKEN_FILE"] = _dir.Write("token", "t"),
        ["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/crik",
        ["AWS_ENDPOINT_URL_STS"] = sts.Endpoint,
        ["AWS_ENDPOINT_URL_S3"] = $"http://127.0.0.1:{FreePort.Get()}",
    }, _http);

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    /// <summary>An STS endpoint on loopback that answers AssumeRoleWithWebIdentity with credentials valid for an hour.</summary>
    private sealed class FakeSts : IDisposable
    {
        private readonly HttpListener _listener;
        private readonly Task _loop;

        public FakeSts()
        {
            (_listener, int port) = FreePort.StartHttpListener();
            Endpoint = $"http://127.0.0.1:{port}";
            _loop = Task.Run(Serve);
        }

        public string Endpoint { get; }

        public List<string> Forms { get; } = [];

        public bool Refuse { get; init; }

        /// <summary>The first requests answer 503, as STS does when it is briefly unavailable.</summary>
        public int FailFirst { get; init; }

        /// <summary>How long each answer takes.</summary>
        public TimeSpan Delay { get; init; }

        public void Dispose()
        {
            _listener.Close();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }
        }

        private void Serve()
        {
            while (true)
            {
                HttpListenerContext context;
                try
                {
                    context = _listener.GetContext();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                using var reader = new StreamReader(context.Request.InputStream);
                Forms.Add(reader.ReadToEnd());
                int n = Forms.Count;
                Thread.Sleep(Delay);
                if (n <= FailFirst)
                {
                    context.Response.StatusCode = 503;
                    context.Response.Close();
                    continue;
                }
                string xml = Refuse
                    ? "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error></ErrorResponse>"
                    : $"<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials>"
                      + $"<AccessKeyId>ASIA{n}</AccessKeyId><SecretAccessKey>secret{n}</SecretAccessKey><SessionToken>session{n}</SessionToken>"
                      + $"<Expiration>{DateTimeOffset.UtcNow.AddHours(n == 1 ? 1 : 2):yyyy-MM-ddTHH:mm:ssZ}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
                byte[] body = Encoding.UTF8.GetBytes(xml);
                context.Response.StatusCode = Refuse ? 403 : 200;
                context.Response.OutputStream.Write(body);
                context.Response.Close();
            }
        }
    }
}

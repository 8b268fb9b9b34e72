using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// Credentials the way AWS tools find them in a pod: <c>AWS_ACCESS_KEY_ID</c> and
/// <c>AWS_SECRET_ACCESS_KEY</c> (with <c>AWS_SESSION_TOKEN</c> for temporary ones), or a web identity
/// token (IRSA: <c>AWS_WEB_IDENTITY_TOKEN_FILE</c> and <c>AWS_ROLE_ARN</c>) exchanged with STS for
/// temporary credentials, renewed before they expire (the token file is read again each time, as
/// the kubelet rotates it).
/// </summary>
internal sealed class CredentialSource
{
    private readonly WebIdentity? _webIdentity;
    private readonly HttpClient _http;
    private readonly S3RetryPolicy _retry;
    private readonly Lock _gate = new();
    private AwsCredentials? _current;

    private CredentialSource(WebIdentity? webIdentity, HttpClient http, AwsCredentials? fixedCredentials, S3RetryPolicy? retry)
    {
        _webIdentity = webIdentity;
        _http = http;
        _current = fixedCredentials;
        _retry = retry ?? S3RetryPolicy.Default;
        IsWebIdentity = fixedCredentials is null;
    }

    public bool IsWebIdentity { get; }

    /// <summary>What the environment offers; throws <see cref="FormatException"/> saying what to set when it offers nothing.</summary>
    public static CredentialSource FromEnvironment(Func<string, string?> environment, HttpClient http, S3RetryPolicy? retry = null)
    {
        string? keyId = environment("AWS_ACCESS_KEY_ID"), secret = environment("AWS_SECRET_ACCESS_KEY");
        if (!string.IsNullOrEmpty(keyId) && !string.IsNullOrEmpty(secret))
        {
            string? token = environment("AWS_SESSION_TOKEN");
            return new CredentialSource(null, http, new AwsCredentials(keyId, secret, string.IsNullOrEmpty(token) ? null : token), retry);
        }
        if (!string.IsNullOrEmpty(keyId) || !string.IsNullOrEmpty(secret))
        {
            throw new FormatException("only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; set both (e.g. from one Kubernetes Secret)");
        }
        if (!string.IsNullOrEmpty(environment("AWS_WEB_IDENTITY_TOKEN_FILE")) && !string.IsNullOrEmpty(environment("AWS_ROLE_ARN")))
        {
            // Read once, a bad endpoint being a configuration error now, not a failing request later; the token file is read at each exchange.
            string? session = Trimmed(environment, "AWS_ROLE_SESSION_NAME");
            var webIdentity = new WebIdentity(environment("AWS_WEB_IDENTITY_TOKEN_FILE")!, environment("AWS_ROLE_ARN")!,
                session ?? $"crik-{System.Environment.MachineName}", StsEndpoint(environment));
            return new CredentialSource(webIdentity, http, null, retry);
        }
        throw new FormatException("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use a web identity (IRSA sets AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN)");
    }

    /// <summary>
    /// Current credentials, asking STS for new ones when the web identity's have expired or were
    /// refused: within <paramref name="timeLeft"/>, retried as S3 requests are.
    /// </summary>
    public AwsCredentials Get(DateTimeOffset now, TimeSpan? timeLeft = null)
    {
        // One request asks STS while the others wait, but none past its own time: a request with
        // little left (a SIGTERM checkpoint's) must not wait out another's longer exchange (a lease renewal's).
        if (!IsWebIdentity)
        {
            return _current!;
        }
        long started = Stopwatch.GetTimestamp();
        TimeSpan left = timeLeft ?? TimeSpan.MaxValue;
        if (left.TotalMilliseconds >= int.MaxValue)
        {
            _gate.Enter();
        }
        else if (!_gate.TryEnter(left > TimeSpan.Zero ? left : TimeSpan.Zero))
        {
            throw new S3Exception($"new credentials from STS were still being fetched for another request when the time crik had for the store ran out "
                + $"({left.TotalSeconds:0.###} s); check that STS answers ({_webIdentity!.Sts})");
        }
        try
        {
            if (_current is { } current && current.IsFresh(now))
            {
                return current;
            }
            return _current = AssumeRoleWithWebIdentity(left == TimeSpan.MaxValue ? left : left - Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>
    /// The store refused <paramref name="refused"/> as expired: web identity credentials are fetched
    /// again on the next request, unless another request has fetched new ones meanwhile. It never
    /// waits for an exchange with STS under way.
    /// </summary>
    public void Expire(AwsCredentials refused)
    {
        if (IsWebIdentity)
        {
            Interlocked.CompareExchange(ref _current, null, refused);
        }
    }

    private AwsCredentials AssumeRoleWithWebIdentity(TimeSpan timeLeft)
    {
        (string tokenFile, string role, string session, Uri endpoint) = _webIdentity!;
        string token;
        try
        {
            token = File.ReadAllText(tokenFile).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new S3Exception($"cannot read the web identity token {tokenFile} (AWS_WEB_IDENTITY_TOKEN_FILE): {e.Message.TrimEnd('.')}; check the service account's projected token volume", inner: e);
        }
        var form = new Dictionary<string, string>
        {
            ["Action"] = "AssumeRoleWithWebIdentity",
            ["Version"] = "2011-06-15",
            ["RoleArn"] = role,
            ["RoleSessionName"] = session.Length > 64 ? session[..64] : session,
            ["WebIdentityToken"] = token,
        };
        (int status, string text) = Send(endpoint, form, role, timeLeft);
        XElement? credentials = S3Xml.TryParse(text)?.Descendants().FirstOrDefault(e => e.Name.LocalName == "Credentials");
        string? Field(string name) => credentials?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        if (status != 200 || Field("AccessKeyId") is not { } keyId || Field("SecretAccessKey") is not { } secret)
        {
            string reason = S3Errors.Describe(text) ?? $"{text.Length} bytes that are not STS credentials";
            throw new S3Exception($"STS refused AssumeRoleWithWebIdentity for {role} ({status}): {reason}; check the role's trust policy for this service account", status);
        }
        DateTimeOffset? expiration = DateTimeOffset.TryParse(Field("Expiration"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at) ? at : null;
        return new AwsCredentials(keyId, secret, Field("SessionToken"), expiration ?? DateTimeOffset.UtcNow.AddMinutes(15));
    }

    /// <summary>Posts the form to STS, retrying what may yet succeed (5xx, throttling, no answer) until <paramref name="timeLeft"/> is spent.</summary>
    private (int Status, string Text) Send(Uri endpoint, Dictionary<string, string> form, string role, TimeSpan timeLeft)
    {
        long started = Stopwatch.GetTimestamp();
        string problem = "";
        for (int attempt = 1; ; attempt++)
        {
            TimeSpan left = timeLeft - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                break;
            }
            try
            {
                using var attemptTimeout = new CancellationTokenSource(left < _http.Timeout ? left : _http.Timeout);
                using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) };
                using HttpResponseMessage response = _http.Send(request, HttpCompletionOption.ResponseContentRead, attemptTimeout.Token);
                int status = (int)response.StatusCode;
                using var reader = new StreamReader(response.Content.ReadAsStream());
                string text = reader.ReadToEnd();
                string? code = S3Errors.Parse(text).Code;
                if (!S3RetryPolicy.IsTransient(status, code) || attempt >= _retry.Attempts)
                {
                    return (status, text);
                }
                problem = $"{status} {code}";
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                problem = e is OperationCanceledException ? "no answer in time" : e.Message;
                if (attempt >= _retry.Attempts)
                {
                    break;
                }
            }
            Thread.Sleep(_retry.DelayWithin(attempt, timeLeft - Stopwatch.GetElapsedTime(started)));
        }
        throw new S3Exception($"STS at {endpoint} did not answer AssumeRoleWithWebIdentity for {role} ({(problem.Length > 0 ? problem : "the time crik had for the store ran out before it could ask")}); check AWS_REGION and the network (or AWS_ENDPOINT_URL_STS)");
    }

    /// <summary>AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else STS in AWS_REGION; throws <see cref="FormatException"/> for one that is not an http(s) URL.</summary>
    public static Uri StsEndpoint(Func<string, string?> environment)
    {
        string region = Trimmed(environment, "AWS_REGION") ?? Trimmed(environment, "AWS_DEFAULT_REGION") ?? "us-east-1";
        string endpoint = Trimmed(environment, "AWS_ENDPOINT_URL_STS") ?? Trimmed(environment, "AWS_ENDPOINT_URL") ?? $"https://sts.{region}.amazonaws.com";
        if (!Uri.TryCreate(endpoint.TrimEnd('/') + "/", UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0)
        {
            throw new FormatException($"the STS endpoint \"{endpoint}\" (AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL, else from AWS_REGION) is not an http:// or https:// URL such as https://sts.eu-west-1.amazonaws.com");
        }
        return uri;
    }

    private static string? Trimmed(Func<string, string?> environment, string name) =>
        string.IsNullOrWhiteSpace(environment(name)) ? null : environment(name)!.Trim();

    /// <summary>What a web identity's exchange with STS is made of, as the environment said when crik started.</summary>
    private sealed record WebIdentity(string TokenFile, string Role, string Session, Uri Sts);
}

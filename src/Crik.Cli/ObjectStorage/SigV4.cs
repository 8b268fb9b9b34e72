using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// AWS Signature Version 4 for S3 requests: the canonical request, the string to sign and the
/// Authorization header, with the payload's SHA-256 signed too (so a body altered on the way is
/// refused by the store).
/// </summary>
internal static class SigV4
{
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>The header of a copy in the store: signed, as every x-amz-* header must be.</summary>
    public const string CopySourceHeader = "x-amz-copy-source";

    /// <summary>Adds x-amz-date, x-amz-content-sha256, x-amz-security-token and Authorization to <paramref name="request"/> (signing its copy source too).</summary>
    /// <param name="query">The query parameters exactly as they are in the request's URI, unencoded.</param>
    public static void Sign(HttpRequestMessage request, string canonicalPath, IReadOnlyList<KeyValuePair<string, string>> query,
        string payloadHash, AwsCredentials credentials, string region, DateTimeOffset now, string service = "s3")
    {
        string amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string day = amzDate[..8];
        string host = request.RequestUri!.IsDefaultPort ? request.RequestUri.Host : $"{request.RequestUri.Host}:{request.RequestUri.Port}";
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = host,
            ["x-amz-content-sha256"] = payloadHash,
            ["x-amz-date"] = amzDate,
        };
        if (request.Headers.Range is { } range)
        {
            headers["range"] = range.ToString();
        }
        if (credentials.SessionToken is { } token)
        {
            headers["x-amz-security-token"] = token;
        }
        if (request.Headers.TryGetValues(CopySourceHeader, out IEnumerable<string>? copySource))
        {
            headers[CopySourceHeader] = string.Join(',', copySource);
        }
        foreach ((string name, string value) in headers)
        {
            if (name is not ("host" or "range" or CopySourceHeader))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        request.Headers.Host = host;

        string signedHeaders = string.Join(';', headers.Keys);
        var canonical = new StringBuilder()
            .Append(request.Method.Method).Append('\n')
            .Append(canonicalPath).Append('\n')
            .Append(CanonicalQuery(query)).Append('\n');
        foreach ((string name, string value) in headers)
        {
            canonical.Append(name).Append(':').Append(value.Trim()).Append('\n');
        }
        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);

        string scope = $"{day}/{region}/{service}/aws4_request";
        string stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        byte[] key = Hmac(Encoding.UTF8.GetBytes("AWS4" + credentials.SecretAccessKey), day);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        string signature = Hex(Hmac(key, stringToSign));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    public static string PayloadHash(ReadOnlySpan<byte> payload) => Hex(SHA256.HashData(payload));

    /// <summary>RFC 3986 percent-encoding as SigV4 wants it: unreserved characters as they are, everything else %XX (slashes kept when asked).</summary>
    public static string Encode(string text, bool keepSlashes = false)
    {
        var encoded = new StringBuilder(text.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            char c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (keepSlashes && c == '/'))
            {
                encoded.Append(c);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return encoded.ToString();
    }

    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> query) =>
        string.Join('&', query.Select(p => (Key: Encode(p.Key), Value: Encode(p.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}

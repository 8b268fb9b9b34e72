namespace Crik.Cli.ObjectStorage;

/// <summary>
/// Where the S3 API is and how to address buckets, read the way AWS tools read them:
/// <c>AWS_ENDPOINT_URL_S3</c>, then <c>AWS_ENDPOINT_URL</c> (MinIO, Ceph, R2, GCS's interoperability
/// endpoint), else AWS itself in <c>AWS_REGION</c> / <c>AWS_DEFAULT_REGION</c> (us-east-1 when neither is set).
/// A custom endpoint is addressed path-style (endpoint/bucket/key), which every S3-compatible store
/// serves; AWS is addressed virtual-host style (bucket.s3.region.amazonaws.com/key), except buckets
/// whose names have dots, which AWS's TLS certificate does not cover as hosts: those go path-style.
/// </summary>
internal sealed record S3Settings(Uri? Endpoint, string Region)
{
    public static S3Settings FromEnvironment(Func<string, string?> environment)
    {
        string region = NonEmpty(environment("AWS_REGION")) ?? NonEmpty(environment("AWS_DEFAULT_REGION")) ?? "us-east-1";
        string? endpoint = NonEmpty(environment("AWS_ENDPOINT_URL_S3")) ?? NonEmpty(environment("AWS_ENDPOINT_URL"));
        if (endpoint is null)
        {
            return new S3Settings(null, region);
        }
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0)
        {
            throw new FormatException($"the S3 endpoint \"{endpoint}\" (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) is not an http:// or https:// URL such as https://minio.storage:9000");
        }
        return new S3Settings(uri, region);
    }

    /// <summary>The URI of an object (or, with an empty key, of the bucket) and the path SigV4 signs.</summary>
    public (Uri Uri, string CanonicalPath) Locate(string bucket, string key, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        string encodedKey = SigV4.Encode(key, keepSlashes: true);
        string baseUrl, path;
        if (Endpoint is { } endpoint)
        {
            string basePath = endpoint.AbsolutePath.TrimEnd('/');
            path = $"{basePath}/{bucket}/{encodedKey}";
            baseUrl = $"{endpoint.Scheme}://{endpoint.Authority}";
        }
        else if (bucket.Contains('.', StringComparison.Ordinal))
        {
            // AWS's certificate (*.s3.region.amazonaws.com) does not cover a bucket name with dots as a host.
            path = $"/{bucket}/{encodedKey}";
            baseUrl = $"https://s3.{Region}.amazonaws.com";
        }
        else
        {
            path = "/" + encodedKey;
            baseUrl = $"https://{bucket}.s3.{Region}.amazonaws.com";
        }
        string queryText = query.Count == 0 ? "" : "?" + string.Join('&', query.Select(p => p.Value.Length == 0 && p.Key is "uploads" or "delete"
            ? SigV4.Encode(p.Key)
            : $"{SigV4.Encode(p.Key)}={SigV4.Encode(p.Value)}"));
        return (new Uri(baseUrl + path + queryText), path);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

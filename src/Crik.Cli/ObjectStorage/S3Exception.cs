namespace Crik.Cli.ObjectStorage;

/// <summary>
/// An object storage request failed for good (after its retries): the message says which request,
/// what the store answered, and what to check. An IOException, so the store's callers treat it like
/// a failing volume.
/// </summary>
internal sealed class S3Exception(string message, int status = 0, string? code = null, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The HTTP status the store answered, or 0 when no answer came.</summary>
    public int Status => status;

    /// <summary>S3's error code (e.g. <c>NoSuchBucket</c>, <c>AccessDenied</c>), when the store gave one.</summary>
    public string? Code => code;
}

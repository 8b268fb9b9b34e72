using System.Globalization;
using System.Web;
using Crik.Cli.ImageStore.Backends;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// s3rver neither lists nor aborts multipart uploads: the proxy answers both as S3 documents them (AnswerForUploads, unless a test
// cans answers of its own), for the uploads a test left.
public partial class ObjectBackendTests
{
    private readonly Dictionary<string, (string Key, DateTimeOffset Started)> _uploads = [];

    internal override bool KeepsUploadsApart => true;

    internal override void LeaveUnfinishedUpload(string key, DateTimeOffset started)
    {
        lock (_uploads)
        {
            _uploads[Guid.NewGuid().ToString("N")] = (_prefix + key, started);
        }
    }

    /// <summary>s3rver answers a listing of uploads 501 NotImplemented, and an abort 405: a store crik cannot sweep, which the lifecycle rule must.</summary>
    [SkippableStorageFact]
    public void AStoreThatCannotListUploadsSaysSo()
    {
        _proxy!.Canned = _ => null;
        Assert.Null(Backend.ListUnfinishedUploads("packs/"));
        Assert.False(Backend.AbortUpload(new UnfinishedUpload("packs/000003.pack", "never-started", DateTimeOffset.UtcNow)));
    }

    private (int Status, string Body)? AnswerForUploads(string request)
    {
        string bucket = $"/{S3Server.Bucket}/";
        string query = request.Contains('?', StringComparison.Ordinal) ? request[(request.IndexOf('?', StringComparison.Ordinal) + 1)..] : "";
        var parameters = HttpUtility.ParseQueryString(query);
        lock (_uploads)
        {
            if (request.StartsWith($"GET {bucket}?", StringComparison.Ordinal) && query.Split('&').Any(p => p is "uploads" or "uploads="))
            {
                string prefix = parameters["prefix"] ?? "";
                return (200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + $"<Bucket>{S3Server.Bucket}</Bucket><IsTruncated>false</IsTruncated>"
                    + string.Concat(_uploads.Where(u => u.Value.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(u =>
                        $"<Upload><Key>{u.Value.Key}</Key><UploadId>{u.Key}</UploadId><Initiated>{u.Value.Started.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}</Initiated></Upload>"))
                    + "</ListMultipartUploadsResult>");
            }
            if (request.StartsWith($"DELETE {bucket}", StringComparison.Ordinal) && parameters["uploadId"] is { } id)
            {
                return _uploads.Remove(id) ? (204, "") : (404, "<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>");
            }
        }
        return null;
    }
}

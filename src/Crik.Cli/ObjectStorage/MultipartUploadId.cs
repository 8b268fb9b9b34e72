namespace Crik.Cli.ObjectStorage;

/// <summary>
/// A pack's multipart upload as the store knows it: started once, by the first part that needs it, and never
/// again once abandoned. Its own lock, so an abandon waits for a start under way and aborts the upload it creates.
/// </summary>
internal sealed class MultipartUploadId(S3Client s3, string name)
{
    private readonly Lock _starting = new();
    private string? _uploadId;
    private bool _abandoned;

    /// <summary>The multipart upload's id, starting it first when <paramref name="start"/>; never once the upload is abandoned.</summary>
    public string? Get(bool start)
    {
        lock (_starting)
        {
            if (_abandoned)
            {
                throw new S3Exception($"the upload of {s3.Display(name)} was abandoned");
            }
            return start ? _uploadId ??= s3.StartUpload(name) : _uploadId;
        }
    }

    /// <summary>No upload starts from now on; the id of the one started, if any, to abort.</summary>
    public string? Abandon()
    {
        // Waits for a start under way, so the upload it creates is aborted too rather than left behind.
        lock (_starting)
        {
            _abandoned = true;
            return _uploadId;
        }
    }
}

using Crik.Cli.ObjectStorage;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>A pack's multipart upload (<see cref="ObjectBackend.CreateUpload"/>); one the store cannot abort is left to its lifecycle rule and to <see cref="AbandonedUploads"/>.</summary>
internal sealed class MultipartUpload(S3PackUpload upload, Serilog.ILogger log, string display) : IBlobUpload
{
    public bool Completed => upload.Completed;

    public void Write(ReadOnlySpan<byte> data, long offset) => upload.Write(data, offset);

    public bool WantsPageAligned(ReadOnlySpan<byte> data) => upload.WantsPageAligned(data);

    public void Complete() => upload.Complete();

    public void Abort()
    {
        if (!upload.Completed && !upload.Abort())
        {
            log.Debug("The store could not abort the upload of {Pack}; its lifecycle rule will drop the parts", display);
        }
    }

    public void Dispose() => upload.Dispose();
}

using Crik.Cli.Interop;
using Crik.Cli.ObjectStorage;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

// What runs on the node has no directory in the store: a pack goes up as a multipart upload, a local file as one object.
internal sealed partial class ObjectBackend
{
    /// <summary>Itself, with nothing on the node (see <see cref="INodeDirectories"/>).</summary>
    public INodeDirectories Node => this;

    /// <summary>Nothing is on the node: CRIU reads every image from crik's image streamer.</summary>
    public DirectoryHandle? OpenLocalDirectory(string key) => null;

    /// <summary>None: CRIU works in a scratch directory of the caller's on the node.</summary>
    public DirectoryHandle? CreateLocalDirectory(string key) => null;

    /// <summary>A multipart upload (<see cref="S3PackUpload"/>): nothing is at <paramref name="key"/> until it completes.</summary>
    public IBlobUpload CreateUpload(string key) => new MultipartUpload(new S3PackUpload(s3, key), log, s3.Display(key));

    /// <summary>A look at <paramref name="to"/>, one copy in the store, then the delete (see <see cref="IStoreBackend.RenameNoReplace"/>).</summary>
    public bool RenameNoReplace(string from, string to)
    {
        if (s3.TryGetLength(to) is not null)
        {
            return false;
        }
        if (!s3.Copy(from, to))
        {
            throw new IOException($"{s3.Display(from)} vanished before crik could move it");
        }
        try
        {
            s3.Delete(from);
        }
        catch (IOException e)
        {
            log.Warning("{To} is in place, but crik could not delete {From} after copying it: {Error}", s3.Display(to), s3.Display(from), e.Message);
        }
        return true;
    }

    /// <summary>The pack's multipart uploads under <paramref name="prefix"/>, page by page; null when the store cannot list them (405, 501).</summary>
    public List<UnfinishedUpload>? ListUnfinishedUploads(string prefix) =>
        s3.TryListUploads(prefix)?.Select(u => new UnfinishedUpload(u.Name, u.UploadId, u.Initiated)).ToList();

    /// <summary>One abort of the multipart upload (<c>DELETE ?uploadId=</c>); false when the store cannot (405, 501).</summary>
    public bool AbortUpload(UnfinishedUpload upload) => s3.TryAbortUpload(upload.Key, upload.Id);

    /// <summary>Uploads the file (CRIU's log, at most 64 MiB of it); the caller deletes it.</summary>
    public bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key)
    {
        s3.Put(key, FileContents.Read(file, 64L << 20));
        return false;
    }

    /// <summary>A pack's multipart upload; one the store cannot abort is left to its lifecycle rule and to <see cref="AbandonedUploads"/>.</summary>
    private sealed class MultipartUpload(S3PackUpload upload, Serilog.ILogger log, string display) : IBlobUpload
    {
        public bool Completed => upload.Completed;

        public void Write(ReadOnlySpan<byte> data, long offset) => upload.Write(data, offset);

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
}

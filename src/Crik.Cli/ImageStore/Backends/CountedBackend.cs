using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Crik.Cli.Observing;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A backend whose primitives (and those of its side on this node) are each counted in crik_store_requests_total (and in errors when one
/// throws), under <paramref name="backendName"/>: the volume's. Object storage counts its requests in its
/// client instead, where each HTTP request and its retries are seen.
/// </summary>
internal sealed class CountedBackend(IStoreBackend inner, string backendName) : IStoreBackend, INodeDirectories
{
    public string ImageDir => inner.ImageDir;

    public bool HasDirectories => inner.HasDirectories;

    public IStoreLock? TryLock(TimeSpan timeout, Action? stillWaiting = null) => Counted("lock", () => inner.TryLock(timeout, stillWaiting));

    /// <summary>One request, however many directories it lists.</summary>
    public List<StoredEntry> List(IReadOnlyList<string> prefixes) => Counted("list", () => inner.List(prefixes));

    public byte[]? Read(string path, long max) => Counted("read", () => inner.Read(path, max));

    public byte[]? Read(string path, long offset, int length) => Counted("read", () => inner.Read(path, offset, length));

    public StoredStatus? Describe(string key) => Counted("stat", () => inner.Describe(key));

    public bool WriteIfAbsent(string path, byte[] content) => Counted("write", () => inner.WriteIfAbsent(path, content));

    public void Delete(string path) => Counted("delete", () =>
    {
        inner.Delete(path);
        return true;
    });

    public void Move(string from, string to) => Counted("move", () =>
    {
        inner.Move(from, to);
        return true;
    });

    /// <summary>Counted as a write, as object storage counts its copy (a PUT).</summary>
    public bool Copy(string from, string to) => Counted("write", () => inner.Copy(from, to));

    public INodeDirectories Node => this;

    public void MakePrivate(string location) => inner.Node.MakePrivate(location);

    public bool RenameNoReplace(string from, string to) => Counted("move", () => inner.RenameNoReplace(from, to));

    /// <summary>Counted as one write when it starts; its parts are the upload's own.</summary>
    public IBlobUpload CreateUpload(string key) => Counted("write", () => inner.CreateUpload(key));

    /// <summary>Not counted: a volume has none to list, and answers without a request.</summary>
    public List<UnfinishedUpload>? ListUnfinishedUploads(string prefix) => inner.ListUnfinishedUploads(prefix);

    public bool AbortUpload(UnfinishedUpload upload) => Counted("delete", () => inner.AbortUpload(upload));

    public DirectoryHandle? CreateLocalDirectory(string key) => Counted("open", () => inner.Node.CreateLocalDirectory(key));

    public DirectoryHandle? OpenLocalDirectory(string key) => Counted("open", () => inner.Node.OpenLocalDirectory(key));

    public bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key) =>
        Counted("write", () => inner.Node.PutLocalFile(directory, name, file, key));

    public PackReader OpenPackReader(ChunkCodec codec, bool callerRetries = false) => inner.OpenPackReader(codec, callerRetries);

    public void Dispose() => inner.Dispose();

    private T Counted<T>(string operation, Func<T> work)
    {
        try
        {
            T result = work();
            Tallies.StoreRequest(backendName, operation);
            return result;
        }
        catch
        {
            Tallies.StoreRequest(backendName, operation, failed: true);
            throw;
        }
    }
}

using Crik.Cli.Interop;
using Crik.Cli.Locking;
using Crik.Cli.Records;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A backend over another, in restic's manner: every primitive, every range read from a blob it opened, every write, completion
/// and abort of an upload it created (<see cref="WrappedUpload"/>), and every call on the store's side on this node given to
/// <see cref="Wrap(INodeDirectories)"/> goes through <see cref="Around"/>, which a wrapper (<see cref="CountedBackend"/>, <see cref="RetryingBackend"/>, <see cref="FencedBackend"/>,
/// <see cref="DeadlineBackend"/>) puts its one concern around, whatever the backend below. <see cref="StoreStack"/> stacks them.
/// </summary>
internal abstract class BackendWrapper(IStoreBackend inner) : IStoreBackend
{
    /// <summary>The backend below.</summary>
    protected IStoreBackend Inner => inner;

    public virtual StoreDescription Description => inner.Description;

    public IStoreLock? TryLock(TimeSpan timeout, Action? stillWaiting = null) =>
        Around(StoreOperation.Lock, (timeout, stillWaiting), s => inner.TryLock(s.timeout, s.stillWaiting));

    public List<StoredEntry> List(IReadOnlyList<string> prefixes) => Around(StoreOperation.List, prefixes, inner.List);

    public IBlobReader? OpenRead(string key) =>
        Around(StoreOperation.OpenBlob, key, inner.OpenRead) is { } blob ? new WrappedBlob(this, key, blob) : null;

    public StoredStatus? Describe(string key) => Around(StoreOperation.Stat, key, inner.Describe);

    public bool WriteIfAbsent(string path, byte[] content) => Around(StoreOperation.Write, (path, content), s => inner.WriteIfAbsent(s.path, s.content));

    public void Delete(string path) => Around(StoreOperation.Delete, path, p =>
    {
        inner.Delete(p);
        return true;
    });

    public bool Move(string from, string to, MoveMode mode) => Around(StoreOperation.Move, (from, to, mode), s => inner.Move(s.from, s.to, s.mode));

    /// <summary>A write, as object storage's copy is (a PUT).</summary>
    public bool Copy(string from, string to) => Around(StoreOperation.Write, (from, to), s => inner.Copy(s.from, s.to));

    /// <summary>One write when it starts (a volume's file is created); then each of its writes, its completion and its abort is one call too.</summary>
    public IBlobUpload CreateUpload(string key) => new WrappedUpload(this, key, Around(StoreOperation.Write, key, inner.CreateUpload));

    public List<UnfinishedUpload>? ListUnfinishedUploads(string prefix) => Around(StoreOperation.List, prefix, inner.ListUnfinishedUploads);

    public bool AbortUpload(UnfinishedUpload upload) => Around(StoreOperation.Delete, upload, inner.AbortUpload);

    public void Dispose() => inner.Dispose();

    /// <summary>The store's side on this node <paramref name="node"/> (the one below this wrapper), each of its calls through <see cref="Around"/>.</summary>
    public INodeDirectories Wrap(INodeDirectories node) => new WrappedNode(this, node);

    /// <summary>Runs one call of <paramref name="operation"/> (<paramref name="work"/> over <paramref name="state"/>) with this wrapper's concern around it.</summary>
    protected abstract TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work)
        where TState : allows ref struct;

    /// <summary>A range read from a blob held open: each through <see cref="Around"/> as a read.</summary>
    private sealed class WrappedBlob(BackendWrapper wrapper, string key, IBlobReader blob) : IBlobReader
    {
        public int Read(Span<byte> into, long offset) => wrapper.Around(StoreOperation.Read, new RangeRead(blob, into, offset), static r => r.Blob.Read(r.Into, r.Offset));

        public long? KnownLength => blob.KnownLength;

        public void Dispose() => blob.Dispose();

        public override string ToString() => key;
    }

    /// <summary>
    /// An upload created through the wrapper: each write (a part, in object storage), the completion and the abort through
    /// <see cref="Around"/>, so that they are retried, fenced, bounded and counted as every other call. A write into a file held
    /// open (no <see cref="IBlobUpload.WholeParts"/>: a volume's), its completion and its abort are not counted, as opening a blob is not.
    /// </summary>
    private sealed class WrappedUpload(BackendWrapper wrapper, string key, IBlobUpload upload) : IBlobUpload
    {
        public int? WholeParts => upload.WholeParts;

        public bool Completed => upload.Completed;

        public void Write(ReadOnlySpan<byte> data, long offset) =>
            wrapper.Around(Counted(StoreOperation.Write), new UploadWrite(upload, data, offset), static w => w.Write());

        public bool WantsPageAligned(ReadOnlySpan<byte> data) => upload.WantsPageAligned(data);

        public void Complete() => wrapper.Around(Counted(StoreOperation.Write), upload, static u =>
        {
            u.Complete();
            return true;
        });

        public void Abort() => wrapper.Around(Counted(StoreOperation.Delete), upload, static u =>
        {
            u.Abort();
            return true;
        });

        public void Dispose() => upload.Dispose();

        public override string ToString() => key;

        /// <summary>The operation, a request only where the upload's calls are (whole parts).</summary>
        private StoreOperation Counted(StoreOperation operation) => upload.WholeParts is null ? operation with { IsRequest = false } : operation;
    }

    private readonly ref struct UploadWrite(IBlobUpload upload, ReadOnlySpan<byte> data, long offset)
    {
        private readonly IBlobUpload _upload = upload;
        private readonly ReadOnlySpan<byte> _data = data;
        private readonly long _offset = offset;

        public bool Write()
        {
            _upload.Write(_data, _offset);
            return true;
        }
    }

    /// <summary>The store's side on this node through the wrapper: its directories opened and its files put as calls; making modes private is not a request.</summary>
    private sealed class WrappedNode(BackendWrapper wrapper, INodeDirectories node) : INodeDirectories
    {
        public void MakePrivate(string location) => wrapper.Around(StoreOperation.MakePrivate, location, l =>
        {
            node.MakePrivate(l);
            return true;
        });

        public DirectoryHandle? CreateLocalDirectory(string key) => wrapper.Around(StoreOperation.Open, key, node.CreateLocalDirectory);

        public DirectoryHandle? OpenLocalDirectory(string key) => wrapper.Around(StoreOperation.Open, key, node.OpenLocalDirectory);

        public T ReadLocalFiles<T>(Func<T> read) => wrapper.Around(StoreOperation.ReadLocal, read, node.ReadLocalFiles);

        public bool PutLocalFile(DirectoryHandle directory, string name, SafeFileHandle file, string key) =>
            wrapper.Around(StoreOperation.Write, (directory, name, file, key), s => node.PutLocalFile(s.directory, s.name, s.file, s.key));
    }

    private readonly ref struct RangeRead(IBlobReader blob, Span<byte> into, long offset)
    {
        public readonly IBlobReader Blob = blob;
        public readonly Span<byte> Into = into;
        public readonly long Offset = offset;
    }
}

/// <summary>What a call to a backend does, as the store's metrics label it, and whether it changes the store (so that fencing refuses it).</summary>
/// <param name="IsRequest">
/// False for opening a blob, which asks object storage nothing (its ranges are the requests), for the calls of a volume's upload
/// (a file held open), for reading files in a directory opened on this node, and for making modes private: none is counted.
/// </param>
internal readonly record struct StoreOperation(string Name, bool Writes, bool IsRequest = true)
{
    public static readonly StoreOperation OpenBlob = new("open", Writes: false, IsRequest: false);
    public static readonly StoreOperation Lock = new("lock", Writes: false);
    public static readonly StoreOperation List = new("list", Writes: false);
    public static readonly StoreOperation Open = new("open", Writes: false);
    public static readonly StoreOperation Read = new("read", Writes: false);
    public static readonly StoreOperation ReadLocal = new("read", Writes: false, IsRequest: false);
    public static readonly StoreOperation Stat = new("stat", Writes: false);
    public static readonly StoreOperation Write = new("write", Writes: true);
    public static readonly StoreOperation MakePrivate = new("private", Writes: false, IsRequest: false);
    public static readonly StoreOperation Delete = new("delete", Writes: true);
    public static readonly StoreOperation Move = new("move", Writes: true);
}

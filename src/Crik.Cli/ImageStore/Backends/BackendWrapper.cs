using Crik.Cli.Locking;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A backend over another, in restic's manner: every primitive, and every range read from a blob it opened, goes through
/// <see cref="Around"/>, which a wrapper (<see cref="CountedBackend"/>, <see cref="RetryingBackend"/>, <see cref="FencedBackend"/>,
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

    /// <summary>One write when it starts; its parts are the upload's own (object storage's multipart upload retries and fences them itself).</summary>
    public IBlobUpload CreateUpload(string key) => Around(StoreOperation.Write, key, inner.CreateUpload);

    public List<UnfinishedUpload>? ListUnfinishedUploads(string prefix) => Around(StoreOperation.List, prefix, inner.ListUnfinishedUploads);

    public bool AbortUpload(UnfinishedUpload upload) => Around(StoreOperation.Delete, upload, inner.AbortUpload);

    public void Dispose() => inner.Dispose();

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

    private readonly ref struct RangeRead(IBlobReader blob, Span<byte> into, long offset)
    {
        public readonly IBlobReader Blob = blob;
        public readonly Span<byte> Into = into;
        public readonly long Offset = offset;
    }
}

/// <summary>What a call to a backend does, as the store's metrics label it, and whether it changes the store (so that fencing refuses it).</summary>
/// <param name="IsRequest">False for opening a blob, which asks object storage nothing (its ranges are the requests).</param>
internal readonly record struct StoreOperation(string Name, bool Writes, bool IsRequest = true)
{
    public static readonly StoreOperation OpenBlob = new("open", Writes: false, IsRequest: false);
    public static readonly StoreOperation Lock = new("lock", Writes: false);
    public static readonly StoreOperation List = new("list", Writes: false);
    public static readonly StoreOperation Open = new("open", Writes: false);
    public static readonly StoreOperation Read = new("read", Writes: false);
    public static readonly StoreOperation Stat = new("stat", Writes: false);
    public static readonly StoreOperation Write = new("write", Writes: true);
    public static readonly StoreOperation Delete = new("delete", Writes: true);
    public static readonly StoreOperation Move = new("move", Writes: true);
}

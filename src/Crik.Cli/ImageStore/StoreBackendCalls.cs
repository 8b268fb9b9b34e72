using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>What callers say of a backend in the terms they use most: its description's parts, a listing of one prefix, whole reads, the two moves.</summary>
internal static class StoreBackendCalls
{
    extension(IStoreBackend backend)
    {
        /// <summary>Where the generations are, for messages (<see cref="StoreDescription.ImageDir"/>).</summary>
        public string ImageDir => backend.Description.ImageDir;

        /// <summary>Whether keys name directories (<see cref="StoreDescription.HasDirectories"/>).</summary>
        public bool HasDirectories => backend.Description.HasDirectories;
    }

    /// <summary>
    /// A new pack at <paramref name="key"/> (<see cref="IStoreBackend.CreateUpload"/>) that takes chunks at any offset, in any order:
    /// put into whole parts (<see cref="PackParts"/>) where the upload takes only those, above the wrappers so that a part retried is
    /// the same bytes.
    /// </summary>
    public static IBlobUpload CreatePackUpload(this IStoreBackend backend, string key)
    {
        IBlobUpload upload = backend.CreateUpload(key);
        return upload.WholeParts is { } partBytes ? new PackParts(upload, partBytes) : upload;
    }

    /// <summary>Aborts an upload on a path that is already failing: what the store could not be told is a warning, and its clean-up takes it later.</summary>
    public static void AbortQuietly(this IBlobUpload upload, IStoreBackend backend, ILogger log)
    {
        try
        {
            upload.Abort();
        }
        catch (IOException e)
        {
            log.Warning("Could not remove the unfinished {Path}: {Error}", $"{backend.ImageDir.TrimEnd('/')}/{upload}", e.Message);
        }
    }

    /// <summary>The entries below <paramref name="prefix"/> (see <see cref="IStoreBackend.List"/>).</summary>
    public static List<StoredEntry> List(this IStoreBackend backend, string prefix) => backend.List([prefix]);

    /// <summary>
    /// A small file (a manifest, a restore mark), at most <paramref name="max"/> bytes + 1 (the caller tells a file too large by its
    /// length); null when absent. In object storage one GET of <c>bytes=0-max</c>, so that a large object is never downloaded whole.
    /// </summary>
    public static byte[]? Read(this IStoreBackend backend, string path, long max) => backend.Read(path, 0, (int)Math.Min(max + 1, Array.MaxLength));

    /// <summary>Whether the file at <paramref name="path"/> holds exactly <paramref name="content"/> (false when it is absent or holds anything else).</summary>
    public static bool Holds(this IStoreBackend backend, string path, byte[] content) =>
        backend.Read(path, content.Length) is { } stored && stored.AsSpan().SequenceEqual(content);

    /// <summary>Up to <paramref name="length"/> bytes of a file from <paramref name="offset"/>: fewer at its end, none from its end on; null when absent.</summary>
    public static byte[]? Read(this IStoreBackend backend, string path, long offset, int length)
    {
        using IBlobReader? blob = backend.OpenRead(path);
        if (blob is null)
        {
            return null;
        }
        // A length known beforehand sizes the buffer: a 1.4 MB manifest is then one buffer, not four growing ones and a copy.
        long? knownLength = blob.KnownLength;
        var bytes = new byte[knownLength - offset is long known && known >= 0 && known < length ? known : Math.Min(length, FirstRead)];
        int total = 0;
        try
        {
            // Filled only up to the blob's end: a short read is the end; a full one grows the buffer, up to length.
            while ((total += blob.Read(bytes.AsSpan(total), offset + total)) == bytes.Length && bytes.Length < length && !(knownLength is not null && AtEnd(blob, offset + total)))
            {
                Array.Resize(ref bytes, (int)Math.Min(Math.Max(bytes.Length * 4L, FirstRead), length));
            }
        }
        catch (BlobMissingException)
        {
            return null;
        }
        return total == bytes.Length ? bytes : bytes[..total];
    }

    /// <summary>Whether a blob whose length is known ends at <paramref name="offset"/>: one byte asked for past a buffer filled to that length.</summary>
    private static bool AtEnd(IBlobReader blob, long offset)
    {
        Span<byte> probe = stackalloc byte[1];
        return blob.Read(probe, offset) == 0;
    }

    /// <summary>What a read of a small file asks for first (one request in object storage); a larger one is read on in larger ranges.</summary>
    private const int FirstRead = 256 << 10;

    /// <summary>A move that replaces what is at <paramref name="to"/> (<see cref="MoveMode.Replace"/>).</summary>
    public static void Move(this IStoreBackend backend, string from, string to) => backend.Move(from, to, MoveMode.Replace);

    /// <summary>A move that never replaces: false when something is at <paramref name="to"/> (<see cref="MoveMode.NoReplace"/>).</summary>
    public static bool RenameNoReplace(this IStoreBackend backend, string from, string to) => backend.Move(from, to, MoveMode.NoReplace);
}

using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Packs read back over a backend's ranged reads (<see cref="IStoreBackend.OpenRead"/>): each pack is opened once for the
/// reader's life (a volume's file stays open, one pread per chunk; object storage sends one GET per chunk and never asks a
/// length first), and what the backend says is put in the chunks' terms.
/// </summary>
internal static class PackReading
{
    /// <remarks>A failure the store may take back (<see cref="StoreFailures.SaysNothingOfTheEntry"/>) is a <see cref="PackUnavailableException"/>, which a lazy fill waits out.</remarks>
    public static PackReader Open(IStoreBackend backend, ChunkCodec codec) =>
        new(new BackendPacks(backend), codec)
        {
            ReadsWaitOnNetwork = backend.Description.ReadsWaitOnNetwork,
        };

    /// <summary>The pack at <paramref name="key"/>, held open; null when the backend knows at once that it is absent (a volume).</summary>
    public static IPackSource? OpenPack(IStoreBackend backend, string key)
    {
        try
        {
            return backend.OpenRead(key) is { } blob ? new BlobPackSource(backend, key, blob) : null;
        }
        catch (IOException e) when (StoreFailures.SaysNothingOfTheEntry(e))
        {
            throw new PackUnavailableException(e.Message, e);
        }
    }

    /// <summary>Each pack, by its generation, at its key in the backend (<see cref="OpenPack"/>).</summary>
    private sealed class BackendPacks(IStoreBackend backend) : IPackOpener
    {
        public IPackSource? Open(long pack) => OpenPack(backend, StoreLayout.PackKey(pack));
    }

    /// <summary>
    /// A pack held open: a failure the store may take back is a <see cref="PackUnavailableException"/>, anything else (a blob
    /// that is gone: <see cref="BlobMissingException"/>, which <see cref="PackReader"/> reports as a missing pack) as the backend threw it.
    /// </summary>
    private sealed class BlobPackSource(IStoreBackend backend, string key, IBlobReader blob) : IPackSource
    {
        /// <summary>Asked of the store (a HEAD in object storage) only when wanted: a verifier's check, never a chunk's read.</summary>
        public long? Length => InChunkTerms(() => backend.Describe(key)?.Size);

        public int Read(Span<byte> into, long offset)
        {
            try
            {
                return blob.Read(into, offset);
            }
            catch (IOException e) when (StoreFailures.SaysNothingOfTheEntry(e))
            {
                throw new PackUnavailableException(e.Message, e);
            }
        }

        public void Dispose() => blob.Dispose();

        private static T InChunkTerms<T>(Func<T> request)
        {
            try
            {
                return request();
            }
            catch (IOException e) when (StoreFailures.SaysNothingOfTheEntry(e))
            {
                throw new PackUnavailableException(e.Message, e);
            }
        }
    }
}

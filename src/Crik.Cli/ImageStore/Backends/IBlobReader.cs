namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A blob held open to read ranges of (<see cref="IStoreBackend.OpenRead"/>): a file opened once on a volume, an object
/// whose every range is one GET in object storage. Reads may come from several threads at once.
/// </summary>
internal interface IBlobReader : IDisposable
{
    /// <summary>
    /// Fills <paramref name="into"/> from <paramref name="offset"/> in the blob and returns how much it filled: less only at the
    /// blob's end, 0 from its end on. Throws <see cref="BlobMissingException"/> when there is no blob (object storage finds
    /// out only now).
    /// </summary>
    int Read(Span<byte> into, long offset);

    /// <summary>The blob's length where it is known without a request (a file on the volume), else null.</summary>
    long? KnownLength => null;
}

/// <summary>A blob that is not there, found out when it was read (<see cref="IBlobReader.Read"/>).</summary>
internal sealed class BlobMissingException(string message) : FileNotFoundException(message);

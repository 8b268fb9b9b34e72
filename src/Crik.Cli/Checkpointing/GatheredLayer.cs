using Crik.Cli.Chunks;
using Crik.Cli.Records;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// A process's pages as the previous checkpoint holds them (<see cref="PagesLayer"/>), gathered into whole chunks again while
/// the app runs. Writes spread over the memory cut a checkpoint's chunks into ever more slices, one checkpoint after
/// another, and a restore reads each slice's chunk whole; a dump of all the memory gathers them, but stops the app for all
/// of it. Here the image is read back from the store and cut into chunks anew, the same bytes in the same order: where a
/// chunk comes out as one the store holds, it is that one again, whole; only chunks the app wrote into are stored anew.
/// The runs keep their offsets, so the layer stands for the same pages, and the dump still reads only what the app writes.
/// </summary>
internal static class GatheredLayer
{
    /// <summary>The layer with its pieces gathered into chunks of <paramref name="chunker"/>'s pack (generation <paramref name="generation"/>).</summary>
    /// <param name="keyId">The key the previous checkpoint was written with; null when it is plaintext.</param>
    /// <param name="name">The name the chunker takes the image under (only told).</param>
    /// <param name="enough">Asked before each piece: true ends the gather (<see cref="OperationCanceledException"/>).</param>
    public static PagesLayer Of(PagesLayer previous, string? keyId, PackReader packs, ImageChunker chunker, long generation, string name,
        IEnoughRead enough)
    {
        using var pieces = new PiecesStream(previous.Chunks, packs, keyId, enough);
        ManifestFile gathered = chunker.Take(name, pieces);
        long before = previous.Chunks.Sum(c => (long)c.Size);
        if (gathered.Size != before)
        {
            throw new InvalidDataException($"{name} came out {gathered.Size} bytes long, not the {before} its pieces hold");
        }
        return previous with { Chunks = gathered.Chunks ?? [], ResolvedFor = generation };
    }
}

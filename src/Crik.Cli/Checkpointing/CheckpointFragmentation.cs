using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.Records;

namespace Crik.Cli.Checkpointing;

/// <summary>How cut up a checkpoint's pages are, from its manifest.</summary>
internal static class CheckpointFragmentation
{
    /// <summary>The streamed pages images <paramref name="checkpoint"/> lists (their chunks are the app's memory).</summary>
    public static IEnumerable<ManifestFile> PagesImages(Manifest checkpoint) =>
        checkpoint.Files.Where(f => f.IsStreamed && PagemapImage.IsPagesName(f.Path));

    /// <summary>
    /// How many pieces <paramref name="checkpoint"/>'s pages images list, and whether they are so many that the next
    /// checkpoint after which the app runs on gathers them (<see cref="WrittenOnlyDump.Gathers"/>).
    /// </summary>
    public static (int Pieces, bool Fragmented) Of(Manifest checkpoint)
    {
        List<ManifestFile> pages = [.. PagesImages(checkpoint)];
        int pieces = pages.Sum(f => f.Chunks!.Count);
        long chunkBytes = pages.SelectMany(f => f.Chunks!).DistinctBy(c => (c.Pack, c.Offset)).Sum(c => (long)c.WholeSize);
        return (pieces, WrittenOnlyDump.Gathers(pieces, pages.Sum(f => f.Size), chunkBytes, appEndsAfter: false));
    }
}

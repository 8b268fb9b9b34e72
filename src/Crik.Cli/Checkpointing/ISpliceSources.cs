using Crik.Cli.Chunks;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// The two pages images a spliced one takes its pages from (the dump's, and the earlier checkpoint's a run does not take from
/// the dump), and what the new image lists for each piece of their chunks <see cref="PageSplice"/> hands on: by reference,
/// slices of the chunks (<see cref="SlicedPages"/>, the previous checkpoint's), or whole chunks by reference and the pieces
/// at a run's ends read and cut anew (<see cref="PagesComposer"/>, the restored checkpoint's while its memory arrives).
/// </summary>
internal interface ISpliceSources
{
    /// <summary>The chunks of the image <paramref name="run"/> takes its pages from, with where each starts.</summary>
    ChunkStarts ImageOf(LaidOutRun run);

    /// <summary>
    /// Adds to <paramref name="into"/> the <paramref name="length"/> bytes from <paramref name="at"/> in the run's image, all
    /// within its chunk <paramref name="index"/> (the whole chunk, when they are all of it).
    /// </summary>
    void Take(LaidOutRun run, int index, long at, int length, List<ChunkRef> into);

    /// <summary>Adds to <paramref name="into"/> whatever is still held, once every run is taken.</summary>
    void Finish(List<ChunkRef> into);
}

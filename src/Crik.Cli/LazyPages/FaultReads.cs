using Crik.Cli.Criu;

namespace Crik.Cli.LazyPages;

/// <summary>
/// What a fault reads, all as urgently: the piece of the pages image that holds the page, the pieces after it in the same
/// area where the process still misses pages, up to those of the <see cref="ReadAhead"/>th chunk after its own (an app
/// that faults here mostly reads on from here), and, for each, the other slices of its chunk that the process misses pages of.
/// <para>
/// A checkpoint of what the app wrote cuts a chunk wherever a write began or ended, and lists the pages on either side
/// as slices: of the old chunk for what the app did not write, of a new one for what it did. Around a fault the pieces
/// are then mostly slices of the same few chunks, a few pages each; one read of a chunk fills all of its slices, where
/// read piece by piece each would be a fault of its own (the Python bench app's first requests after a restore waited for
/// a page 190 times against 24 before slices, and 27 with them read together).
/// </para>
/// </summary>
internal static class FaultReads
{
    /// <summary>Chunks after a fault's own whose pieces are read as urgently as it.</summary>
    public const int ReadAhead = 2;

    /// <summary>The most pieces looked at after a fault's own, under the task's lock.</summary>
    private const int MostPiecesAhead = 1024;

    /// <summary>The pieces of <paramref name="image"/> to read for a fault at page <paramref name="page"/> of <paramref name="area"/>, under the task's lock.</summary>
    public static List<int> For(LazyTask task, ChunkedImage image, LazyArea area, long page)
    {
        var pieces = new List<int>();
        var listed = new HashSet<int>();
        int piece = image.IndexAt(area.Offset + (page * ImagePage.Bytes));
        WithItsChunksOtherSlices(task, image, piece, pieces, listed);
        // Ahead by chunks, not pieces: where writes were scattered, the pieces after a fault are slices of a page or a few,
        // of its own chunk and of the chunk of written pages taking turns, and two pieces ahead never reached the next chunk.
        var chunks = new HashSet<(long Pack, long Offset)> { image.ChunkOf(piece) };
        for (int next = piece + 1; next <= piece + MostPiecesAhead && next < image.Count; next++)
        {
            long first = Math.Max(0, (image.StartOf(next) - area.Offset) / ImagePage.Bytes);
            long end = Math.Min(area.Pages, (image.StartOf(next) + image.ChunkSize(next) - area.Offset) / ImagePage.Bytes);
            if (first >= end || (chunks.Add(image.ChunkOf(next)) && chunks.Count > ReadAhead + 1))
            {
                break;
            }
            if (area.NextMissing(first, end, 1).Count > 0)
            {
                WithItsChunksOtherSlices(task, image, next, pieces, listed);
            }
        }
        return pieces;
    }

    private static void WithItsChunksOtherSlices(LazyTask task, ChunkedImage image, int piece, List<int> pieces, HashSet<int> listed)
    {
        if (listed.Add(piece))
        {
            pieces.Add(piece);
        }
        foreach (int slice in image.SlicesOfItsChunk(piece))
        {
            if (!listed.Contains(slice) && task.MissesAnyBytes(image.StartOf(slice), image.StartOf(slice) + image.ChunkSize(slice)))
            {
                listed.Add(slice);
                pieces.Add(slice);
            }
        }
    }
}

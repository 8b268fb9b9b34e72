namespace Crik.Cli.Decisions;

/// <summary>
/// Whether a dump reads only the pages the app wrote since the previous checkpoint (the rest taken from that checkpoint),
/// or all of the app's memory.
/// </summary>
internal static class WrittenOnlyDump
{
    /// <summary>Why the dump reads all of the app's memory; null when it may read only what the app wrote since the previous checkpoint.</summary>
    /// <param name="tracking">trackWrites is on.</param>
    /// <param name="criuCan">This CRIU has crik's patch for such dumps (criu-patches/0001).</param>
    /// <param name="protectedAtPrevious">crik write-protected the app's memory while the previous checkpoint, committed since, had it
    /// stopped, and not since: an unwritten page holds what that checkpoint holds.</param>
    /// <param name="memoryArriving">The dump takes memory still arriving from a lazy restore, filled in from the checkpoint restored.</param>
    /// <param name="onPreDumps">The dump goes on top of pre-dumps, which have their own parent.</param>
    /// <param name="previousPieces">How many chunks and slices of chunks the previous checkpoint's pages images list.</param>
    /// <param name="previousBytes">The bytes of those images.</param>
    /// <param name="appEndsAfter">The app ends after this checkpoint (a SIGTERM's): its pieces are not gathered now, with the
    /// app stopped for all of its memory, as the node goes away; the next pod's first checkpoint reads all of it anyway.</param>
    public static string? WhyWhole(bool tracking, bool criuCan, bool protectedAtPrevious, bool memoryArriving, bool onPreDumps,
        int previousPieces = 0, long previousBytes = 0, bool appEndsAfter = false) =>
        !tracking ? "trackWrites is off"
        : !criuCan ? "this CRIU lacks crik's patch for dumps of written pages (criu-patches/0001)"
        : !protectedAtPrevious ? "no committed checkpoint since crik began tracking the app's writes"
        : memoryArriving ? "the app's memory is still arriving"
        : onPreDumps ? "the dump goes on top of pre-dumps"
        : !appEndsAfter && previousPieces > Math.Max(MostPiecesEver, previousBytes / SmallestAveragePiece)
            ? $"the previous checkpoint's pages are in {previousPieces} pieces, so many that a dump of everything gathers them in whole chunks again"
        : null;

    /// <summary>
    /// A manifest lists each piece (a chunk, or a slice of one); a restore reads each slice's chunk whole. Writes spread
    /// over the memory cut the previous checkpoint's chunks into ever more slices, one checkpoint after another: past an
    /// average piece of 128 KiB (a whole chunk is 640 KiB on average), or this many pieces for a small app, the next
    /// dump reads everything, unless the app ends after it: then one checkpoint's writes more is all a restore meets.
    /// </summary>
    private const int MostPiecesEver = 4096;

    private const long SmallestAveragePiece = 128 << 10;
}

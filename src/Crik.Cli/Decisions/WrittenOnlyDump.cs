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
    /// <param name="appRunsOn">The app runs on after this checkpoint. Without such a previous checkpoint, crik then copies all of the
    /// app's memory while it runs, and the dump reads only what it writes after that copy; a checkpoint after which the app ends
    /// reads it all with the app stopped, which takes less time than copying it first.</param>
    /// <param name="memoryArriving">The dump takes memory still arriving from a lazy restore, filled in from the checkpoint restored.</param>
    /// <param name="onPreDumps">The dump goes on top of pre-dumps, which have their own parent.</param>
    public static string? WhyWhole(bool tracking, bool criuCan, bool protectedAtPrevious, bool appRunsOn, bool memoryArriving, bool onPreDumps) =>
        !tracking ? "trackWrites is off"
        : !criuCan ? "this CRIU lacks crik's patch for dumps of written pages (criu-patches/0001)"
        : !protectedAtPrevious && !appRunsOn ? "no committed checkpoint since crik began tracking the app's writes"
        : memoryArriving ? "the app's memory is still arriving"
        : onPreDumps ? "the dump goes on top of pre-dumps"
        : null;

    /// <summary>
    /// Whether the previous checkpoint's pages are so fragmented that this checkpoint gathers them into whole chunks again while
    /// the app runs (<see cref="Checkpointing.GatheredLayer"/>). A manifest lists each piece (a chunk, or a slice of one), and
    /// a restore reads each chunk a slice is cut from whole (once for all its slices). Writes spread over the memory cut the
    /// chunks into ever more slices, one checkpoint after another: each piece costs the manifest, the splices and a restore a
    /// little, and the chunks' pages the app wrote over since are read for nothing. A gather reads and cuts all of the memory
    /// again (seconds for a GiB, on a core of its own), so it waits until the pieces average less than 32 KiB (a whole
    /// chunk is 640 KiB on average; at least this many pieces for a small app), or a restore would read half as much again
    /// as the memory holds.
    /// </summary>
    /// <param name="previousPieces">How many chunks and slices of chunks the previous checkpoint's pages images list.</param>
    /// <param name="previousBytes">The bytes of those images.</param>
    /// <param name="chunkBytes">The bytes of the whole chunks those pieces are cut from (each counted once): what a restore reads.</param>
    /// <param name="appEndsAfter">The app ends after this checkpoint (a SIGTERM's): its pieces are not gathered now, as the node
    /// goes away; one checkpoint's writes more is all a restore meets, as the next pod does not track a checkpoint this fragmented
    /// from its restore, and its first checkpoint copies all the memory.</param>
    public static bool Gathers(int previousPieces, long previousBytes, long chunkBytes, bool appEndsAfter) =>
        !appEndsAfter && (previousPieces > Math.Max(MostPiecesEver, previousBytes / SmallestAveragePiece) || chunkBytes > previousBytes * 3 / 2);

    /// <summary>Why the dump reads all of the app's memory where the previous checkpoint's pieces were to be gathered while it ran.</summary>
    public static string WhyNotGathered(int previousPieces, string why) =>
        $"the previous checkpoint's pages are in {previousPieces} pieces, so fragmented that they are gathered in whole chunks again, and {why}";

    private const int MostPiecesEver = 4096;

    private const long SmallestAveragePiece = 32 << 10;
}

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
    /// <param name="touchedBytes">Of the previous checkpoint's pages, the bytes of the chunks that hold a page written since (a glance
    /// before the dump); null when not known.</param>
    /// <param name="previousBytes">The bytes of the previous checkpoint's pages.</param>
    public static string? WhyWhole(bool tracking, bool criuCan, bool protectedAtPrevious, bool memoryArriving, bool onPreDumps,
        long? touchedBytes = null, long previousBytes = 0) =>
        !tracking ? "trackWrites is off"
        : !criuCan ? "this CRIU lacks crik's patch for dumps of written pages (criu-patches/0001)"
        : !protectedAtPrevious ? "no committed checkpoint since crik began tracking the app's writes"
        : memoryArriving ? "the app's memory is still arriving"
        : onPreDumps ? "the dump goes on top of pre-dumps"
        : touchedBytes is { } touched && touched * 2 > previousBytes
            ? $"the app's writes are spread over {Percent(touched, previousBytes)} of the previous checkpoint's chunks, which would all be read "
                + "again to name them anew: a dump of everything costs less"
        : null;

    private static string Percent(long part, long whole) =>
        whole <= 0 ? "all" : (100.0 * part / whole).ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " %";
}

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
    public static string? WhyWhole(bool tracking, bool criuCan, bool protectedAtPrevious, bool memoryArriving, bool onPreDumps) =>
        !tracking ? "trackWrites is off"
        : !criuCan ? "this CRIU lacks crik's patch for dumps of written pages (criu-patches/0001)"
        : !protectedAtPrevious ? "no committed checkpoint since crik began tracking the app's writes"
        : memoryArriving ? "the app's memory is still arriving"
        : onPreDumps ? "the dump goes on top of pre-dumps"
        : null;
}

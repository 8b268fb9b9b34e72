namespace Crik.Cli.Decisions;

/// <summary>When a failed dump on top of the pre-dumps is tried again, streamed through crik.</summary>
internal static class DumpFallback
{
    /// <summary>
    /// Only when CRIU failed on its own (a full /tmp, say), so it resumed the tree, and budget is left: a streamed
    /// dump needs no room on the node. Killed or timed out, CRIU may have left part of the tree stopped, and a dump
    /// would record it so.
    /// </summary>
    /// <param name="onTopOfPreDumps">The dump that failed went on top of pre-dumps (a streamed one is not tried again).</param>
    /// <param name="criuExited">CRIU exited, rather than being killed or timing out.</param>
    public static bool StreamsAfter(bool onTopOfPreDumps, bool dumpSucceeded, bool criuExited, bool budgetSpent) =>
        onTopOfPreDumps && !dumpSucceeded && criuExited && !budgetSpent;
}

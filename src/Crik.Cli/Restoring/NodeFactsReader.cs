using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.HostCompatibility;
using Crik.Cli.LazyPages;

namespace Crik.Cli.Restoring;

/// <summary>
/// Reads what a restore's plan (<see cref="RestorePlan"/>) is made from on this node: whether userfaultfd is allowed,
/// the largest area CRIU may map writable, the page size, whether the shell for CRIU's action script is here.
/// The one place these are read for a restore; Decisions/ gets them as values.
/// </summary>
internal static class NodeFactsReader
{
    public static NodeFacts Read() =>
        new(LazyRestoreSupport.Unavailable(), HostMemory.LargestWritableArea(), ImagePage.Bytes, File.Exists(StopSignalsScript.Shell));
}

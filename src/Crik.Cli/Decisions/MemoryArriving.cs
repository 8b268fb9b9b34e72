using Crik.Cli.Model;

namespace Crik.Cli.Decisions;

/// <summary>
/// What crik does while a lazily restored app's memory is still arriving. A checkpoint then would record
/// the pages still missing as zeros, and a pre-dump would read them in only to record them again.
/// </summary>
internal static class MemoryArriving
{
    /// <summary>
    /// How long a checkpoint waits for the memory to be all in: half of what is left of checkpointBudget, so
    /// the dump keeps the other half. Null for a periodic checkpoint, which is not taken at all (the next comes soon).
    /// </summary>
    public static TimeSpan? CheckpointWaits(CheckpointReason reason, TimeSpan budgetLeft) =>
        reason == CheckpointReason.Periodic ? null : budgetLeft / 2;
}

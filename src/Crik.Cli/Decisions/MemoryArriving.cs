using Crik.Cli.Model;

namespace Crik.Cli.Decisions;

/// <summary>
/// What crik does while a lazily restored app's memory is still arriving. A dump then lacks the pages still
/// missing, and a pre-dump would read them in only to record them again. A checkpoint takes the memory as
/// it is when it can (the missing pages by the chunks of the checkpoint restored), else waits for it.
/// </summary>
internal static class MemoryArriving
{
    /// <summary>
    /// How long a checkpoint waits for the memory to be all in: half of what is left of checkpointBudget, so
    /// the dump keeps the other half. Null for a periodic checkpoint, which is not taken at all (the next comes soon).
    /// </summary>
    public static TimeSpan? CheckpointWaits(CheckpointReason reason, TimeSpan budgetLeft) =>
        reason == CheckpointReason.Periodic ? null : budgetLeft / 2;

    /// <summary>
    /// Why a checkpoint cannot take the memory as it is and waits for it instead (null when it can): a periodic
    /// one is not taken at all (<see cref="CheckpointWaits"/>); a dump on top of pre-dumps is made whole another
    /// way; and the pages a process forked since the restore still misses cannot be told apart from its
    /// parent's in the dump, nor a process whose start crik could not read from a later one with its PID.
    /// </summary>
    /// <param name="forkedMissing">Processes forked since the restore that still miss pages.</param>
    /// <param name="unknownStarts">Processes crik fills whose start it could not read, or of which it cannot tell whether they still have the memory it fills.</param>
    public static string? WhyWait(CheckpointReason reason, bool onTopOfPreDumps, int forkedMissing, int unknownStarts) =>
        reason == CheckpointReason.Periodic ? "a periodic checkpoint is not taken while memory arrives"
        : onTopOfPreDumps ? "the dump goes on top of pre-dumps"
        : forkedMissing > 0 ? $"{forkedMissing} processes forked since the restore still miss memory"
        : unknownStarts > 0 ? $"crik cannot tell whether {unknownStarts} of the processes it fills are the ones it restored"
        : null;
}

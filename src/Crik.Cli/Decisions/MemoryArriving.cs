using System.Globalization;
using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>What a checkpoint that takes the memory as it is makes of one process crik still fills (<see cref="MemoryArriving.Judge"/>).</summary>
internal enum UnfilledVerdict
{
    /// <summary>Nothing of it to take: it misses no pages, or the memory crik fills is no longer its (it exited, or runs another program).</summary>
    NothingToTake,

    /// <summary>The pages it misses are taken from the checkpoint restored.</summary>
    Taken,

    /// <summary>A child forked since the restore that still misses pages: crik does not know its PID, nor can it tell its pages from its parent's in the dump.</summary>
    ForkedSinceRestore,

    /// <summary>crik cannot tell whether it is the process it restored: its start could not be read, or the kernel did not say whether the memory is still its.</summary>
    Unknown,
}

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
    /// Why a checkpoint that took the memory as it is fails when its dump cannot be made whole after all (a process
    /// forked between its glance and CRIU's freeze, or one crik cannot tell is the one it restored once the app is
    /// stopped). Null when it drops that dump instead, waits for the memory to be all in (as <see cref="CheckpointWaits"/>
    /// says: half the budget left) and dumps the app again, which takes at least as long as the dump dropped (that one
    /// lacked the missing pages): when the other half holds that much. A periodic checkpoint is not taken while memory
    /// arrives (the next comes soon).
    /// </summary>
    public static string? WhyNotDumpAgain(CheckpointReason reason, TimeSpan budgetLeft, TimeSpan droppedDump) =>
        reason == CheckpointReason.Periodic ? "a periodic checkpoint is not taken while memory arrives"
        : budgetLeft / 2 <= droppedDump ? $"the {Seconds(budgetLeft)} s left of checkpointBudget cannot hold a wait for the memory "
            + $"and a second dump, which takes at least as long as the {Seconds(droppedDump)} s one dropped"
        : null;

    /// <summary>Whether the pages a process crik fills still misses can be taken from the checkpoint restored.</summary>
    /// <param name="missesPages">It has pages crik has not filled.</param>
    /// <param name="forked">A child the app forked since the restore.</param>
    /// <param name="startKnown">crik read its start when it took its memory on, so a later process with its PID is told apart.</param>
    /// <param name="memoryItsOwn">The memory crik fills is still the process's: false once it exited or ran another program, null when crik cannot tell.</param>
    public static UnfilledVerdict Judge(bool missesPages, bool forked, bool startKnown, bool? memoryItsOwn) =>
        !missesPages || memoryItsOwn == false ? UnfilledVerdict.NothingToTake
        : forked ? UnfilledVerdict.ForkedSinceRestore
        : !startKnown || memoryItsOwn is null ? UnfilledVerdict.Unknown
        : UnfilledVerdict.Taken;

    /// <summary>Why process <paramref name="pid"/>'s missing pages cannot be taken (null when they can, or there are none to take).</summary>
    public static string? WhyNotTaken(UnfilledVerdict verdict, int pid) => verdict switch
    {
        UnfilledVerdict.ForkedSinceRestore => $"a process forked from process {pid} since the restore still misses memory, and crik does not know its PID",
        UnfilledVerdict.Unknown => $"crik could not tell whether process {pid} is the one it restored",
        _ => null,
    };

    /// <summary>
    /// Why a checkpoint cannot take the memory as it is and waits for it instead (null when it can): a periodic
    /// one is not taken at all (<see cref="CheckpointWaits"/>); a dump on top of pre-dumps is made whole another
    /// way; and a process that cannot be taken (<see cref="Judge"/>) would leave the images without its pages.
    /// </summary>
    /// <param name="processes">What <see cref="Judge"/> makes of each process crik still fills.</param>
    public static string? WhyWait(CheckpointReason reason, bool onTopOfPreDumps, IReadOnlyCollection<UnfilledVerdict> processes)
    {
        int forkedMissing = processes.Count(v => v == UnfilledVerdict.ForkedSinceRestore);
        int unknown = processes.Count(v => v == UnfilledVerdict.Unknown);
        return reason == CheckpointReason.Periodic ? "a periodic checkpoint is not taken while memory arrives"
            : onTopOfPreDumps ? "the dump goes on top of pre-dumps"
            : forkedMissing > 0 ? $"{forkedMissing} processes forked since the restore still miss memory"
            : unknown > 0 ? $"crik cannot tell whether {unknown} of the processes it fills are the ones it restored"
            : null;
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}

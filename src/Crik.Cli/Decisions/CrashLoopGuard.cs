// Decisions/ holds crik's rules as pure functions: given what the store holds and what happened, what
// to do. No I/O, no clock, no logging: each rule is unit-tested in milliseconds.
using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>
/// The crash-loop guard: a generation whose restored pods keep ending before the app lived on (ran for
/// restoreProbation, or was checkpointed again) is given up after restoreAttempts restores in a row.
/// </summary>
internal static class CrashLoopGuard
{
    /// <summary>
    /// How many of the newest restores, in a row, ended without the app living on. A mark with no time was never written
    /// whole (a full disk, a pod killed while it wrote it), and CRIU runs only after its mark is written: it does not count.
    /// </summary>
    public static int DiedInARow(IReadOnlyList<RestoreRecord> restores) =>
        restores.Reverse().Where(r => r.At is not null).TakeWhile(r => !r.Survived).Count();

    /// <summary>Why crik gives up on a generation with these restores (it is set aside), or null when it may be restored again.</summary>
    public static string? GivesUp(IReadOnlyList<RestoreRecord> restores, int restoreAttempts) =>
        DiedInARow(restores) is var died && died >= restoreAttempts
            ? $"it was restored {died} times in a row and each time its pod ended before the app had run "
                + $"for restoreProbation, without a newer checkpoint: crik gives up on it (restoreAttempts: {restoreAttempts})"
            : null;
}
